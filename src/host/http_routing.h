// Routing for the http-framework servers: which route answers a request, which middleware
// sees it first. Pure functions over a Routing table, so the server's I/O thread works on
// a snapshot while the actor changes the table.
//
// Route patterns (docs/host-interfaces.md):
//   /items          exactly that path
//   /items/{id}     `{name}` matches one non-empty segment
//   /static/*       a trailing `/*` matches /static and everything under /static/
// When several routes match, the most specific wins: patterns without `*` before those
// with it, fewer `{}` segments first, longer `*` prefixes first; then the earliest added.
// Methods compare case-insensitively; method `*` matches every method.
// Middleware paths are prefixes on whole segments: /api matches /api and /api/x, not
// /apix; `/` (or `/*`) matches everything. Middleware runs in the order it was added.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace theater::host::http {

struct Route {
  uint64_t id = 0;
  std::string method;   // upper case, or "*"
  std::string pattern;  // as validated by ValidateRoutePattern
  uint64_t handler = 0;
};

struct Middleware {
  uint64_t id = 0;
  std::string prefix;  // normalized: no trailing `/` or `/*` (empty = everything)
  uint64_t handler = 0;
};

struct WebSocketRoute {
  std::string path;
  std::optional<uint64_t> connect_handler;
  uint64_t message_handler = 0;
  std::optional<uint64_t> disconnect_handler;
};

struct Routing {
  std::vector<Route> routes;
  std::vector<Middleware> middleware;
  std::optional<WebSocketRoute> websocket;
};

inline constexpr size_t kMaxPatternBytes = 1024;

// Errors name what is wrong with the pattern ("a route path must start with `/`").
Status ValidateRoutePattern(std::string_view pattern);
// An HTTP method token (RFC 9110), or "*"; returns it upper-cased.
Result<std::string> NormalizeMethod(std::string_view method);
// A middleware path: a route-like prefix without `{}`; returns the normalized prefix.
Result<std::string> NormalizeMiddlewarePath(std::string_view path);

// The path of a request target: what precedes `?` (and `#`).
std::string_view PathOf(std::string_view target);
// What follows `?`, if anything does.
std::optional<std::string> QueryOf(std::string_view target);

bool PatternMatches(std::string_view pattern, std::string_view path);
bool PrefixMatches(std::string_view prefix, std::string_view path);

struct RouteChoice {
  const Route* route = nullptr;         // the route that answers, if any
  std::vector<std::string> allowed;     // when no method matched: the methods that would
};
RouteChoice ChooseRoute(const Routing& routing, std::string_view method, std::string_view path);

// The middleware for `path`, in the order added.
std::vector<Middleware> MiddlewareFor(const Routing& routing, std::string_view path);

}  // namespace theater::host::http
