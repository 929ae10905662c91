#include "host/http_routing.h"

#include <algorithm>
#include <tuple>

namespace theater::host::http {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsParam(std::string_view segment) {
  return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

bool HasWildcard(std::string_view pattern) { return pattern == "/*" || pattern.ends_with("/*"); }

// Printable ASCII without space: what a pattern may hold (the actor sees raw targets).
bool IsPatternChar(char c) { return c > ' ' && c < 0x7f && c != '?' && c != '#'; }

}  // namespace

Status ValidateRoutePattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') return Status::Error("a route path must start with `/`");
  if (pattern.size() > kMaxPatternBytes)
    return Status::Error("a route path is at most " + std::to_string(kMaxPatternBytes) + " bytes long");
  for (char c : pattern)
    if (!IsPatternChar(c))
      return Status::Error("a route path holds printable ASCII without spaces, `?` or `#`");
  std::vector<std::string_view> segments = Segments(pattern);
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view s = segments[i];
    if (s.find('*') != std::string_view::npos && !(s == "*" && i + 1 == segments.size()))
      return Status::Error("`*` may only be the last segment of a route path (as in /static/*)");
    bool braces = s.find('{') != std::string_view::npos || s.find('}') != std::string_view::npos;
    if (braces && (!IsParam(s) || s.substr(1, s.size() - 2).find_first_of("{}") != std::string_view::npos))
      return Status::Error("a `{name}` parameter must be a whole segment of the route path");
  }
  return Status::Ok();
}

Result<std::string> NormalizeMethod(std::string_view method) {
  if (method == "*") return std::string("*");
  if (method.empty() || method.size() > 32) return Status::Error("an HTTP method is 1 to 32 characters long");
  std::string out;
  for (char c : method) {
    if (!IsTokenChar(c)) return Status::Error("an HTTP method holds only token characters (letters, digits, !#$%&'*+-.^_`|~)");
    out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

Result<std::string> NormalizeMiddlewarePath(std::string_view path) {
  if (path.empty()) path = "/";
  THEATER_RETURN_IF_ERROR(ValidateRoutePattern(path));
  if (path.find('{') != std::string_view::npos) return Status::Error("a middleware path is a prefix: it takes no `{name}` parameters");
  std::string out(path);
  if (out.ends_with("/*")) out.resize(out.size() - 2);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

std::string_view PathOf(std::string_view target) {
  size_t end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

std::optional<std::string> QueryOf(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  return std::string(rest.substr(0, rest.find('#')));
}

bool PatternMatches(std::string_view pattern, std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (HasWildcard(pattern)) return PrefixMatches(pattern.substr(0, pattern.size() - 2), path);
  std::vector<std::string_view> want = Segments(pattern), have = Segments(path);
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (IsParam(want[i]) ? have[i].empty() : want[i] != have[i]) return false;
  }
  return true;
}

bool PrefixMatches(std::string_view prefix, std::string_view path) {
  if (prefix.empty()) return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

RouteChoice ChooseRoute(const Routing& routing, std::string_view method, std::string_view path) {
  RouteChoice choice;
  // Lower is more specific: (wildcard?, {} count, -prefix length, order added).
  std::optional<std::tuple<int, size_t, long, uint64_t>> best;
  for (const Route& r : routing.routes) {
    if (!PatternMatches(r.pattern, path)) continue;
    if (r.method != "*" && r.method != method) {
      if (std::find(choice.allowed.begin(), choice.allowed.end(), r.method) == choice.allowed.end())
        choice.allowed.push_back(r.method);
      continue;
    }
    bool wildcard = HasWildcard(r.pattern);
    size_t params = 0;
    for (std::string_view s : Segments(r.pattern)) params += IsParam(s);
    auto rank = std::make_tuple(wildcard ? 1 : 0, params, wildcard ? -static_cast<long>(r.pattern.size()) : 0L, r.id);
    if (!best || rank < *best) {
      best = rank;
      choice.route = &r;
    }
  }
  if (choice.route) choice.allowed.clear();
  return choice;
}

std::vector<Middleware> MiddlewareFor(const Routing& routing, std::string_view path) {
  std::vector<Middleware> out;
  for (const Middleware& m : routing.middleware)
    if (PrefixMatches(m.prefix, path)) out.push_back(m);
  return out;
}

}  // namespace theater::host::http
