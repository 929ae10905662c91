// The HTTP/WebSocket server behind theater:simple/http-framework, on Boost.Beast. Each
// running server has its own io_context and I/O thread; the actor is reached only through
// an ActorGateway (its http-handlers exports, called through the actor's mailbox), never
// from the I/O thread directly, and the I/O thread never waits for the actor: answers come
// back as posted completions. Nothing here knows about the chain: what the actor receives
// is recorded by the export calls the gateway makes.
//
// Boost is used in http_server.cc and http_websocket.cc only (through http_listener.h);
// this header is free of it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"
#include "host/http_routing.h"

namespace theater::host::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string uri;  // the request target as received: path and query
  Headers headers;
  std::optional<std::string> body;  // bytes
};

struct Response {
  uint16_t status = 200;
  Headers headers;
  std::optional<std::string> body;  // bytes
};

struct MiddlewareVerdict {
  bool proceed = false;
  Request request;
};

struct WsMessage {
  // text, binary, connect, close, ping, pong, or other (then `other` says what).
  std::string type;
  std::string other;
  std::optional<std::string> data;  // bytes
  std::optional<std::string> text;
};

// Why the actor gave no answer, and the HTTP status the client gets for it.
struct Refusal {
  unsigned status = 500;
  std::string why;
};
template <typename T>
using Answer = std::variant<T, Refusal>;

// How a server reaches its actor. Called on the I/O thread: must not block. `done` is
// called exactly once, on any thread.
class ActorGateway {
 public:
  virtual ~ActorGateway() = default;
  virtual void HandleRequest(uint64_t handler, Request request, std::function<void(Answer<Response>)> done) = 0;
  virtual void HandleMiddleware(uint64_t handler, Request request,
                                std::function<void(Answer<MiddlewareVerdict>)> done) = 0;
  virtual void WebSocketConnect(uint64_t handler, uint64_t connection, std::string path,
                                std::optional<std::string> query, std::function<void(Answer<bool>)> done) = 0;
  virtual void WebSocketMessage(uint64_t handler, uint64_t connection, WsMessage message,
                                std::function<void(Answer<std::vector<WsMessage>>)> done) = 0;
  // Fire and forget: the connection is gone whatever the actor answers.
  virtual void WebSocketDisconnect(uint64_t handler, uint64_t connection) = 0;
};

struct ServerLimits {
  uint64_t max_request_bytes = 1 << 20;  // body (Beast's body_limit → 413) and WebSocket message
  uint32_t max_connections = 64;         // open TCP connections (HTTP and WebSocket) per server
  std::chrono::milliseconds header_timeout{10'000};   // to read a whole request (slowloris)
  std::chrono::milliseconds request_timeout{30'000};  // to wait for the actor's answer → 504
};

// Checks a response from the actor: status 100..599, header names tokens, values without
// CR, LF or NUL. The error says what is wrong (the client gets 500 with it).
Status ValidateResponse(const Response& response);

class Listener;
struct TlsContext;

// One server of one actor. Made, changed and destroyed only by the actor's worker; the
// routing table is shared with the I/O thread as immutable snapshots.
class HttpServer {
 public:
  HttpServer(uint64_t id, std::string host, uint16_t port, ServerLimits limits, std::shared_ptr<ActorGateway> gateway,
             std::shared_ptr<std::atomic<uint64_t>> connection_ids);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves HTTPS with this certificate chain and private key (PEM files); before Start.
  Status UseTls(const std::string& cert_file, const std::string& key_file);
  bool tls() const { return tls_ != nullptr; }

  // Binds and listens (the same port again after a stop, if one was bound); returns the port.
  Result<uint16_t> Start();
  // Closes the listening socket and every connection; requests waiting for the actor are
  // dropped (their answers are ignored), and WebSocket handlers are not called for them.
  void Stop();

  bool running() const { return listener_ != nullptr; }
  uint64_t id() const { return id_; }
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

  // The current table; changes replace it (the I/O thread keeps the snapshot it took).
  std::shared_ptr<const Routing> routing() const;
  void UpdateRouting(const std::function<void(Routing&)>& change);

  // From the actor: a message to / the closing of one of this server's WebSocket
  // connections. An error when there is no such open connection.
  Status SendWebSocket(uint64_t connection, WsMessage message);
  Status CloseWebSocket(uint64_t connection);

  // Shared with the running Listener.
  struct Shared {
    ServerLimits limits;
    std::shared_ptr<ActorGateway> gateway;
    std::shared_ptr<std::atomic<uint64_t>> connection_ids;
    mutable std::mutex routing_mu;
    std::shared_ptr<const Routing> routing = std::make_shared<Routing>();
    std::shared_ptr<const Routing> Snapshot() const {
      std::lock_guard lock(routing_mu);
      return routing;
    }
  };

 private:
  uint64_t id_;
  std::string host_;
  uint16_t port_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace theater::host::http
