#include "server/dashboard.h"

#include <array>

#include "common/embedded_files.h"
#include "server/connection.h"
#include "server/http_request.h"
#include "server/server.h"
#include "server/websocket.h"

namespace theater::server {
namespace {

// What the page may do: load its own script and style, open its own WebSocket, nothing
// else (no inline script, no other origin, not framed by another site).
constexpr const char* kSecurityHeaders =
    "Content-Security-Policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cache-Control: no-store\r\n";

struct Asset {
  const char* url;
  const char* file;  // in web/
  const char* type;
};
constexpr std::array<Asset, 4> kAssets = {{
    {"/", "web/index.html", "text/html; charset=utf-8"},
    {"/index.html", "web/index.html", "text/html; charset=utf-8"},
    {"/app.js", "web/app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "web/style.css", "text/css; charset=utf-8"},
}};

std::string_view FindFile(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedFiles())
    if (f.path == path) return f.contents;
  return {};
}

std::string Reply(const std::string& status, const std::string& type, std::string_view body,
                  const std::string& extra_headers = "") {
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + kSecurityHeaders + extra_headers + "Connection: close\r\n\r\n" + std::string(body);
}

std::string ErrorReply(const std::string& status, const std::string& why, const std::string& extra = "") {
  return Reply(status, "text/plain; charset=utf-8", status + ": " + why + "\n", extra);
}

// The host part of a Host header ("127.0.0.1:9080", "[::1]:9080", "localhost").
std::string HostName(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    size_t end = host.find(']');
    return end == std::string::npos ? host : host.substr(1, end - 1);
  }
  return host.substr(0, host.rfind(':'));
}

bool IsIpOrLocalhost(const std::string& name) {
  if (name == "localhost") return true;
  asio::error_code ec;
  asio::ip::make_address(name, ec);
  return !ec;
}

}  // namespace

// One HTTP connection, from its first byte to its answer (or its upgrade to a WebSocket).
struct Dashboard::Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(Dashboard& d, asio::ip::tcp::socket s)
      : dashboard(d), socket(std::move(s)), timer(socket.get_executor()), reader(kMaxHeadBytes),
        count(d.exchanges_) {
    ++*count;
  }
  ~Exchange() { --*count; }

  void Start() {
    timer.expires_after(kExchangeTimeout);
    timer.async_wait([weak = weak_from_this()](asio::error_code ec) {
      if (auto self = weak.lock(); self && !ec && !self->upgraded) self->Abort();
    });
    Read();
  }

  void Read() {
    size_t have = head.size();
    if (have > kMaxHeadBytes) return Answer(ErrorReply("431 Request Header Fields Too Large", "the request's head is over 8 KiB"));
    head.resize(have + 2048);
    socket.async_read_some(asio::buffer(head.data() + have, 2048), [self = shared_from_this(), have](asio::error_code ec, size_t n) {
      self->head.resize(have + (ec ? 0 : n));
      if (ec) return self->Abort();
      size_t used = 0;
      auto done = self->reader.Feed(self->head, &used);
      if (!done.ok()) return self->Answer(ErrorReply("400 Bad Request", done.error()));
      if (!*done) return self->Read();
      self->Route(self->head.size() - used);
    });
  }

  void Route(size_t extra_bytes) {
    const HttpRequest& r = reader.request();
    if (r.method != "GET") return Answer(ErrorReply("405 Method Not Allowed", "the dashboard only answers GET", "Allow: GET\r\n"));
    if (r.has_body) return Answer(ErrorReply("400 Bad Request", "a GET with a body"));
    std::string host = r.Header("host");
    if (host.empty()) return Answer(ErrorReply("400 Bad Request", "no Host header"));
    // DNS rebinding: a name that some site's DNS points at 127.0.0.1 must not reach a
    // loopback dashboard with that site's origin.
    if (dashboard.loopback_ && !IsIpOrLocalhost(HostName(host)))
      return Answer(ErrorReply("421 Misdirected Request", "this dashboard answers to its IP address or localhost"));
    if (r.path == "/ws") return Upgrade(host, extra_bytes);
    for (const Asset& a : kAssets)
      if (r.path == a.url) return Answer(Reply("200 OK", a.type, FindFile(a.file)));
    Answer(ErrorReply("404 Not Found", "no page " + r.path.substr(0, 200)));
  }

  void Upgrade(const std::string& host, size_t extra_bytes) {
    const HttpRequest& r = reader.request();
    if (!r.HeaderHasToken("upgrade", "websocket") || !r.HeaderHasToken("connection", "upgrade"))
      return Answer(ErrorReply("426 Upgrade Required", "/ws is a WebSocket", "Upgrade: websocket\r\n"));
    if (r.Header("sec-websocket-version") != "13")
      return Answer(ErrorReply("426 Upgrade Required", "WebSocket version 13 only", "Sec-WebSocket-Version: 13\r\n"));
    std::string key = r.Header("sec-websocket-key");
    if (!websocket::ValidClientKey(key)) return Answer(ErrorReply("400 Bad Request", "no valid Sec-WebSocket-Key"));
    // A browser always says which page opens a WebSocket: only this dashboard's own may.
    std::string origin = r.Header("origin");
    if (!origin.empty() && origin != "http://" + host && origin != "https://" + host)
      return Answer(ErrorReply("403 Forbidden", "a WebSocket from another origin"));
    // A client speaks only after the 101: bytes behind the head are not a WebSocket's.
    if (extra_bytes) return Answer(ErrorReply("400 Bad Request", "bytes after the request's head"));
    std::shared_ptr<Connection> connection = dashboard.server_.Admit(socket, Transport::kWebSocket);
    if (!connection) return Answer(ErrorReply("503 Service Unavailable", "the server has its maximum of connections"));
    // The socket is the connection's now; the 101 goes out first, then its frames.
    upgraded = true;
    timer.cancel();
    auto accept = std::make_shared<std::string>("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                                "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                                websocket::AcceptKey(key) + "\r\n\r\n");
    connection->StartAfter(std::move(*accept));
  }

  void Answer(std::string reply) {
    auto text = std::make_shared<std::string>(std::move(reply));
    asio::async_write(socket, asio::buffer(*text), [self = shared_from_this(), text](asio::error_code, size_t) {
      asio::error_code ignored;
      self->socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      self->socket.close(ignored);
      self->timer.cancel();
    });
  }

  void Abort() {
    asio::error_code ignored;
    socket.close(ignored);
    timer.cancel();
  }

  Dashboard& dashboard;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  HttpRequestReader reader;
  std::string head;
  bool upgraded = false;
  std::shared_ptr<size_t> count;
};

Dashboard::Dashboard(Server& server, asio::io_context& io) : server_(server), acceptor_(io) {}

Dashboard::~Dashboard() = default;

Result<std::unique_ptr<Dashboard>> Dashboard::Create(Server& server, asio::io_context& io,
                                                     const asio::ip::tcp::endpoint& endpoint) {
  std::unique_ptr<Dashboard> d(new Dashboard(server, io));
  asio::error_code ec;
  d->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) d->acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) d->acceptor_.bind(endpoint, ec);
  if (!ec) d->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error("cannot listen on --http " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  auto bound = d->acceptor_.local_endpoint();
  d->loopback_ = bound.address().is_loopback();
  d->address_ = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string()) +
                ":" + std::to_string(bound.port());
  d->Accept();
  return d;
}

void Dashboard::Close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void Dashboard::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors: try again shortly rather than spin.
      auto timer = std::make_shared<asio::steady_timer>(acceptor_.get_executor(), std::chrono::milliseconds(100));
      return timer->async_wait([this, timer](asio::error_code) {
        if (acceptor_.is_open()) Accept();
      });
    }
    if (*exchanges_ >= kMaxExchanges) {
      asio::error_code ignored;
      socket.close(ignored);  // too many half-done requests: this one is let go at once
    } else {
      std::make_shared<Exchange>(*this, std::move(socket))->Start();
    }
    Accept();
  });
}

}  // namespace theater::server
