#include "host/http_server.h"

#include "common/bytes.h"
#include "host/http_listener.h"

namespace theater::host::http {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers the host sets itself: the actor's would contradict the framing.
bool IsFramingHeader(const std::string& header) {
  beast::string_view name(header.data(), header.size());
  return beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
         beast::iequals(name, "connection");
}

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

}  // namespace

Status ValidateResponse(const Response& response) {
  if (response.status < 100 || response.status > 599)
    return Status::Error("status " + std::to_string(response.status) + " is not between 100 and 599");
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || name.size() > 256) return Status::Error("a header name must be 1 to 256 characters long");
    for (char c : name)
      if (!IsTokenChar(c)) return Status::Error("header name `" + name + "` has a character a header name cannot hold");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return Status::Error("the value of header `" + name + "` holds CR, LF or NUL");
  }
  return Status::Ok();
}

// --- Listener ------------------------------------------------------------------------

Listener::Listener(std::shared_ptr<HttpServer::Shared> shared, std::shared_ptr<TlsContext> tls)
    : shared_(std::move(shared)), tls_(std::move(tls)), io_(std::make_unique<asio::io_context>(1)), accept_pause_(std::in_place, *io_) {}

Result<uint16_t> Listener::Open(const std::string& host, uint16_t port) {
  beast::error_code ec;
  tcp::resolver resolver(*io_);
  auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) return Status::Error("cannot resolve host `" + host + "`: " + ec.message());
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_ = std::make_unique<tcp::acceptor>(*io_);
  if (acceptor_->open(endpoint.protocol(), ec); ec) return Status::Error("cannot open a socket: " + ec.message());
  acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_->bind(endpoint, ec); ec)
    return Status::Error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  if (acceptor_->listen(asio::socket_base::max_listen_connections, ec); ec)
    return Status::Error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  uint16_t bound = acceptor_->local_endpoint(ec).port();
  Accept();
  thread_ = std::thread([this] {
    // Handlers catch what they can; whatever escapes one must not end the process.
    for (;;) {
      try {
        io_->run();
        return;
      } catch (const std::exception&) {
      }
    }
  });
  return bound;
}

void Listener::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    // Queued behind what was posted before (an answer to write, such as the 500 of an actor
    // that failed and is being stopped for it): those handlers run, and their writes start,
    // before the I/O thread ends.
    asio::post(*io_, [this] {
      beast::error_code ignored;
      if (acceptor_) acceptor_->close(ignored);
      io_->stop();
    });
  }
  if (thread_.joinable()) thread_.join();
  accept_pause_.reset();
  // The acceptor goes before its io_context; destroying the io_context destroys the
  // waiting handlers, and with them the sessions and their sockets.
  acceptor_.reset();
  io_.reset();
}

void Listener::Post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (!stopped_ && io_) asio::post(*io_, std::move(fn));
}

bool Listener::TryAddConnection() {
  uint32_t n = connections_.load();
  while (n < shared_->limits.max_connections)
    if (connections_.compare_exchange_weak(n, n + 1)) return true;
  return false;
}

void Listener::RegisterWs(uint64_t id, std::weak_ptr<WsConnection> session) {
  std::lock_guard lock(ws_mu_);
  websockets_[id] = std::move(session);
}

void Listener::UnregisterWs(uint64_t id) {
  std::lock_guard lock(ws_mu_);
  websockets_.erase(id);
}

std::shared_ptr<WsConnection> Listener::FindWs(uint64_t id) {
  std::lock_guard lock(ws_mu_);
  auto it = websockets_.find(id);
  return it == websockets_.end() ? nullptr : it->second.lock();
}

void Listener::Accept() {
  acceptor_->async_accept(*io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (ec) {
      // Out of file descriptors, say: try again a little later instead of spinning.
      accept_pause_->expires_after(std::chrono::milliseconds(50));
      accept_pause_->async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    auto start = [&](Slot slot) {
      if (tls_) std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), tls_->ssl), *this, slot)->Start();
      else std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), *this, slot)->Start();
    };
    if (TryAddConnection()) start(Slot::kConnection);
    // A few are told why; beyond that, a flood of connections is just closed.
    else if (rejecting_.load() < shared_->limits.max_connections) start(Slot::kRejected);
    Accept();
  });
}

// --- HttpSession ---------------------------------------------------------------------

template <typename Stream>
HttpSession<Stream>::HttpSession(Stream stream, Listener& listener, Slot slot)
    : stream_(std::move(stream)), actor_timer_(listener.io()), listener_(listener), slot_(slot) {
  if (slot_ == Slot::kRejected) ++listener_.rejecting_;
}

template <typename Stream>
HttpSession<Stream>::~HttpSession() {
  if (slot_ == Slot::kConnection) listener_.RemoveConnection();
  if (slot_ == Slot::kRejected) --listener_.rejecting_;
}

template <typename Stream>
void HttpSession<Stream>::Start() {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream_).expires_after(listener_.shared().limits.header_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Close();  // not TLS, or a certificate the client refused
      self->Read();
    });
  } else {
    Read();
  }
}

template <typename Stream>
void HttpSession<Stream>::Read() {
  parser_.emplace();
  parser_->body_limit(listener_.shared().limits.max_request_bytes);
  parser_->header_limit(kMaxHeaderBytes);
  // The whole request, headers and body, within the timeout: a slow client cannot hold a
  // connection open by trickling bytes.
  beast::get_lowest_layer(stream_).expires_after(listener_.shared().limits.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) return self->OnRead(ec);
    // A client that waits for "100 Continue" before its body (curl does, for bodies over
    // 1 KiB) gets it now; a body over the limit was refused with the headers (413).
    auto expect = self->parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue") && !self->parser_->is_done()) {
      auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      return bhttp::async_write(self->stream_, *interim, [self, interim](beast::error_code write_ec, size_t) {
        if (write_ec) return self->Close();
        self->ReadBody();
      });
    }
    self->ReadBody();
  });
}

template <typename Stream>
void HttpSession<Stream>::ReadBody() {
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

template <typename Stream>
void HttpSession<Stream>::OnRead(beast::error_code ec) {
  const ServerLimits& limits = listener_.shared().limits;
  if (ec == bhttp::error::body_limit)
    return Fail(413, "the request body is larger than max_request_bytes (" + std::to_string(limits.max_request_bytes) +
                         " bytes)", true);
  if (ec == bhttp::error::header_limit)
    return Fail(431, "the request headers are larger than " + std::to_string(kMaxHeaderBytes) + " bytes", true);
  if (ec && IsParseError(ec) && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
    return Fail(400, "malformed request: " + ec.message(), true);
  if (ec) return Close();  // closed, reset or timed out
  beast::get_lowest_layer(stream_).expires_never();
  auto& req = parser_->get();
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  head_ = req.method() == bhttp::verb::head;
  if (slot_ == Slot::kRejected) return Fail(503, "the server has max_connections (" + std::to_string(limits.max_connections) +
                                      ") connections open", true);
  std::shared_ptr<const Routing> routing = listener_.shared().Snapshot();
  std::string_view target(req.target().data(), req.target().size());
  std::string path(PathOf(target));
  if (websocket::is_upgrade(req) && routing->websocket && path == routing->websocket->path) {
    if (!IsValidUtf8(target)) return Fail(400, "the request target is not valid UTF-8", true);
    // The connection becomes a WebSocket: it keeps its place among max_connections.
    uint64_t id = (*listener_.shared().connection_ids)++;
    auto ws = std::make_shared<WsSession<Stream>>(std::move(stream_), listener_, id, *routing->websocket);
    slot_ = Slot::kHandedOver;
    ws->Accept(parser_->release(), path, QueryOf(target));
    return;
  }
  Request request;
  request.method = std::string(req.method_string());
  request.uri = std::string(target);
  for (const auto& field : req) request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  if (!req.body().empty()) request.body = std::move(req.body());
  // Strings handed to the actor must be valid UTF-8 (the engine refuses others).
  bool valid = IsValidUtf8(request.method) && IsValidUtf8(request.uri);
  for (const auto& [name, value] : request.headers) valid = valid && IsValidUtf8(name) && IsValidUtf8(value);
  if (!valid) return Fail(400, "the request line or a header is not valid UTF-8", true);
  Dispatch(std::move(request), std::move(routing));
}

template <typename Stream>
template <typename T>
std::function<void(Answer<T>)> HttpSession<Stream>::AwaitActor(std::function<void(HttpSession&, Answer<T>)> then) {
  uint64_t seq = request_seq_;
  return BackOnIoThread<T, HttpSession>(listener_, this->weak_from_this(),
                                        [seq, then = std::move(then)](HttpSession& s, Answer<T> answer) {
                                          if (s.awaiting_ && s.request_seq_ == seq) then(s, std::move(answer));
                                        });
}

template <typename Stream>
void HttpSession<Stream>::Dispatch(Request request, std::shared_ptr<const Routing> routing) {
  ++request_seq_;
  awaiting_ = true;
  actor_timer_.expires_after(listener_.shared().limits.request_timeout);
  actor_timer_.async_wait([self = shared_from_this(), seq = request_seq_](beast::error_code ec) {
    if (ec || !self->awaiting_ || self->request_seq_ != seq) return;
    self->Fail(504, "the actor did not answer within " +
                        std::to_string(self->listener_.shared().limits.request_timeout.count()) + " ms", true);
  });
  std::vector<Middleware> chain = MiddlewareFor(*routing, PathOf(request.uri));
  RunMiddleware(std::move(routing), std::move(chain), 0, std::move(request));
}

template <typename Stream>
void HttpSession<Stream>::RunMiddleware(std::shared_ptr<const Routing> routing, std::vector<Middleware> chain, size_t next,
                                Request request) {
  if (next == chain.size()) return RouteTo(std::move(routing), std::move(request));
  uint64_t handler = chain[next].handler;
  listener_.shared().gateway->HandleMiddleware(
      handler, std::move(request),
      AwaitActor<MiddlewareVerdict>([routing, chain, next](HttpSession& s, Answer<MiddlewareVerdict> answer) {
        if (auto* refusal = std::get_if<Refusal>(&answer)) return s.Fail(refusal->status, refusal->why, true);
        auto& verdict = std::get<MiddlewareVerdict>(answer);
        if (!verdict.proceed) return s.Fail(403, "the request was refused by middleware", false);
        s.RunMiddleware(routing, chain, next + 1, std::move(verdict.request));
      }));
}

template <typename Stream>
void HttpSession<Stream>::RouteTo(std::shared_ptr<const Routing> routing, Request request) {
  // Routes see the request as the middleware left it (a middleware may rewrite the URI).
  RouteChoice choice = ChooseRoute(*routing, request.method, PathOf(request.uri));
  // HEAD goes to the GET route if it has none of its own (the actor sees HEAD).
  if (!choice.route && request.method == "HEAD") {
    RouteChoice get = ChooseRoute(*routing, "GET", PathOf(request.uri));
    if (get.route) choice = get;
  }
  if (!choice.route) {
    if (choice.allowed.empty()) return Fail(404, "no route for " + std::string(PathOf(request.uri)), false);
    std::string allow;
    for (const std::string& m : choice.allowed) allow += (allow.empty() ? "" : ", ") + m;
    awaiting_ = false;
    actor_timer_.cancel();
    return Write(Response{405, {{"Allow", allow}, {"Content-Type", "text/plain; charset=utf-8"}},
                          "method " + request.method + " is not allowed here (allowed: " + allow + ")\n"},
                 !keep_alive_);
  }
  listener_.shared().gateway->HandleRequest(choice.route->handler, std::move(request),
                                            AwaitActor<Response>([](HttpSession& s, Answer<Response> answer) {
                                              if (auto* refusal = std::get_if<Refusal>(&answer))
                                                return s.Fail(refusal->status, refusal->why, false);
                                              s.Reply(std::move(std::get<Response>(answer)));
                                            }));
}

template <typename Stream>
void HttpSession<Stream>::Reply(Response response) {
  if (Status valid = ValidateResponse(response); !valid.ok())
    return Fail(500, "the actor's response is invalid: " + valid.message(), false);
  awaiting_ = false;
  actor_timer_.cancel();
  Write(std::move(response), !keep_alive_);
}

template <typename Stream>
void HttpSession<Stream>::Fail(unsigned status, std::string why, bool close) {
  awaiting_ = false;
  actor_timer_.cancel();
  Write(Response{static_cast<uint16_t>(status), {{"Content-Type", "text/plain; charset=utf-8"}}, why + "\n"},
        close || !keep_alive_);
}

template <typename Stream>
void HttpSession<Stream>::Write(Response response, bool close) {
  auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
  res->version(version_);
  res->result(response.status);
  for (const auto& [name, value] : response.headers)
    if (!IsFramingHeader(name)) res->insert(name, value);
  if (response.body) res->body() = std::move(*response.body);
  res->keep_alive(!close);
  res->prepare_payload();
  if (head_) res->body().clear();  // HEAD: the length of the body, and no body
  beast::get_lowest_layer(stream_).expires_after(listener_.shared().limits.header_timeout);
  bhttp::async_write(stream_, *res, [self = shared_from_this(), res, close](beast::error_code ec, size_t) {
    if (ec || close) return self->Close();
    self->Read();
  });
}

template <typename Stream>
void HttpSession<Stream>::Close() {
  auto& tcp_stream = beast::get_lowest_layer(stream_);
  beast::error_code ignored;
  tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  // What the client still sends (a body refused with 413, say) is read and dropped for a
  // moment: closing with unread data would reset the connection, and the client could
  // lose the answer before reading it.
  tcp_stream.expires_after(kDrainTime);
  Drain(0);
}

template <typename Stream>
void HttpSession<Stream>::Drain(size_t drained) {
  auto& tcp_stream = beast::get_lowest_layer(stream_);
  if (drained > kMaxDrainBytes) return tcp_stream.close();
  auto chunk = std::make_shared<std::array<char, 4096>>();
  tcp_stream.async_read_some(asio::buffer(*chunk), [self = shared_from_this(), chunk, drained](beast::error_code ec,
                                                                                               size_t n) {
    if (ec) return beast::get_lowest_layer(self->stream_).close();  // the client is done (or too slow)
    self->Drain(drained + n);
  });
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

// --- HttpServer ----------------------------------------------------------------------

HttpServer::HttpServer(uint64_t id, std::string host, uint16_t port, ServerLimits limits,
                       std::shared_ptr<ActorGateway> gateway, std::shared_ptr<std::atomic<uint64_t>> connection_ids)
    : id_(id), host_(std::move(host)), port_(port), shared_(std::make_shared<Shared>()) {
  shared_->limits = limits;
  shared_->gateway = std::move(gateway);
  shared_->connection_ids = std::move(connection_ids);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::UseTls(const std::string& cert_file, const std::string& key_file) {
  auto tls = std::make_shared<TlsContext>();
  beast::error_code ec;
  tls->ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                       ec);
  if (tls->ssl.use_certificate_chain_file(cert_file, ec); ec)
    return Status::Error("cannot use the certificate: " + ec.message());
  if (tls->ssl.use_private_key_file(key_file, asio::ssl::context::pem, ec); ec)
    return Status::Error("cannot use the private key: " + ec.message());
  tls_ = std::move(tls);
  return Status::Ok();
}

Result<uint16_t> HttpServer::Start() {
  if (listener_) return port_;
  auto listener = std::make_shared<Listener>(shared_, tls_);
  auto port = listener->Open(host_, port_);
  if (!port.ok()) return port.status();
  port_ = *port;  // a restart binds the same port again
  listener_ = std::move(listener);
  return port_;
}

void HttpServer::Stop() {
  if (!listener_) return;
  listener_->Stop();
  listener_.reset();
}

std::shared_ptr<const Routing> HttpServer::routing() const { return shared_->Snapshot(); }

void HttpServer::UpdateRouting(const std::function<void(Routing&)>& change) {
  std::lock_guard lock(shared_->routing_mu);
  auto next = std::make_shared<Routing>(*shared_->routing);
  change(*next);
  shared_->routing = std::move(next);
}

Status HttpServer::SendWebSocket(uint64_t connection, WsMessage message) {
  auto ws = listener_ ? listener_->FindWs(connection) : nullptr;
  if (!ws) return Status::Error("server " + std::to_string(id_) + " has no open WebSocket connection " + std::to_string(connection));
  listener_->Post([ws, message = std::move(message)]() mutable { ws->Send(std::move(message)); });
  return Status::Ok();
}

Status HttpServer::CloseWebSocket(uint64_t connection) {
  auto ws = listener_ ? listener_->FindWs(connection) : nullptr;
  if (!ws) return Status::Error("server " + std::to_string(id_) + " has no open WebSocket connection " + std::to_string(connection));
  listener_->Post([ws] { ws->Close(); });
  return Status::Ok();
}

}  // namespace theater::host::http
