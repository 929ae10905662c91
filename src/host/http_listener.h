// Inside the http-framework server (http_server.cc, http_websocket.cc): a running
// server's acceptor and I/O thread (Listener), and its connections (HttpSession,
// WsSession). Everything here runs on the Listener's I/O thread, except Post, FindWs and
// Stop. Not included outside src/host/http_*.cc: it brings Boost.Asio.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <array>
#include <deque>
#include <map>
#include <thread>

#include "host/http_server.h"

namespace theater::host::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

inline constexpr uint32_t kMaxHeaderBytes = 16 * 1024;
// Closing a connection: how long, and how much, of what the client still sends is dropped.
inline constexpr std::chrono::seconds kDrainTime{2};
inline constexpr size_t kMaxDrainBytes = 1 << 20;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The certificate and key of a TLS server, loaded once (create-server).
struct TlsContext {
  asio::ssl::context ssl{asio::ssl::context::tls_server};
};

template <typename Stream>
class HttpSession;

// A WebSocket connection, plain or TLS, as the actor's sends reach it.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual void Send(WsMessage message) = 0;
  virtual void Close() = 0;
};

// One running period of a server: from start-server to stop-server.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `tls`: a TLS server's context (else plain HTTP).
  Listener(std::shared_ptr<HttpServer::Shared> shared, std::shared_ptr<TlsContext> tls);
  ~Listener() { Stop(); }

  // Binds host:port (port 0: any free one), listens and starts the I/O thread.
  Result<uint16_t> Open(const std::string& host, uint16_t port);
  // Any thread but the I/O thread: ends the I/O thread and closes every socket.
  void Stop();
  // Any thread: runs `fn` on the I/O thread, unless the listener has stopped.
  void Post(std::function<void()> fn);

  HttpServer::Shared& shared() { return *shared_; }
  asio::io_context& io() { return *io_; }

  // Connection accounting (max_connections): false when the server is full.
  bool TryAddConnection();
  void RemoveConnection() { --connections_; }
  uint32_t connections() const { return connections_.load(); }

  void RegisterWs(uint64_t id, std::weak_ptr<WsConnection> session);
  void UnregisterWs(uint64_t id);
  std::shared_ptr<WsConnection> FindWs(uint64_t id);

 private:
  void Accept();

  std::shared_ptr<HttpServer::Shared> shared_;
  std::shared_ptr<TlsContext> tls_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::optional<asio::steady_timer> accept_pause_;  // after a failed accept
  std::thread thread_;
  std::mutex mu_;  // guards stopped_ against Post
  bool stopped_ = false;
  std::atomic<uint32_t> connections_{0};
  std::atomic<uint32_t> rejecting_{0};  // connections being told 503
  std::mutex ws_mu_;
  std::map<uint64_t, std::weak_ptr<WsConnection>> websockets_;
  template <typename Stream>
  friend class HttpSession;
};

// A completion for the gateway: the answer comes back on the I/O thread to `session`,
// if the session still exists and still waits for it (`still_waiting`).
template <typename T, typename Session>
std::function<void(Answer<T>)> BackOnIoThread(Listener& listener, std::weak_ptr<Session> session,
                                              std::function<void(Session&, Answer<T>)> then) {
  std::weak_ptr<Listener> weak_listener = listener.weak_from_this();
  return [weak_listener, session, then = std::move(then)](Answer<T> answer) {
    auto l = weak_listener.lock();
    if (!l) return;
    l->Post([session, then, answer = std::move(answer)]() mutable {
      if (auto s = session.lock()) then(*s, std::move(answer));
    });
  };
}

enum class Slot {
  kConnection,  // holds one of the server's max_connections
  kRejected,    // over the limit: its request is answered 503, then it closes
  kHandedOver,  // became a WebSocket connection, which holds the slot now
};

// An HTTP connection over Stream: PlainStream, or TlsStream (handshake first).
template <typename Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream stream, Listener& listener, Slot slot);
  ~HttpSession();
  void Start();

 private:
  void Read();
  void ReadBody();
  void OnRead(beast::error_code ec);
  void Dispatch(Request request, std::shared_ptr<const Routing> routing);
  void RunMiddleware(std::shared_ptr<const Routing> routing, std::vector<Middleware> chain, size_t next,
                     Request request);
  void RouteTo(std::shared_ptr<const Routing> routing, Request request);
  // A completion that is ignored once the request has been answered (e.g. by a 504).
  template <typename T>
  std::function<void(Answer<T>)> AwaitActor(std::function<void(HttpSession&, Answer<T>)> then);
  using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;
  using std::enable_shared_from_this<HttpSession<Stream>>::weak_from_this;
  void Reply(Response response);
  void Fail(unsigned status, std::string why, bool close);
  void Write(Response response, bool close);
  void Close();
  void Drain(size_t drained);

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  asio::steady_timer actor_timer_;
  Listener& listener_;
  Slot slot_;
  uint64_t request_seq_ = 0;  // the request being handled; later answers to older ones are ignored
  bool awaiting_ = false;
  bool keep_alive_ = false;
  bool head_ = false;  // a HEAD request: the answer has no body
  unsigned version_ = 11;
};

template <typename Stream>
class WsSession : public WsConnection, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream stream, Listener& listener, uint64_t id, WebSocketRoute route);
  ~WsSession() override;
  void Accept(bhttp::request<bhttp::string_body> request, std::string path, std::optional<std::string> query);
  // From the actor (posted to the I/O thread).
  void Send(WsMessage message) override;
  void Close() override;

 private:
  void Read();
  void OnRead(beast::error_code ec, size_t bytes);
  void Pump();
  void OnWritten(beast::error_code ec);
  void Finish();
  // Keeps the session alive while the actor has a message of it, and closes the connection
  // if the actor takes longer than request_timeout; Answered() ends the wait.
  void AwaitActor();
  void Answered() { actor_timer_.cancel(); }
  using std::enable_shared_from_this<WsSession<Stream>>::shared_from_this;
  using std::enable_shared_from_this<WsSession<Stream>>::weak_from_this;

  websocket::stream<Stream> ws_;
  asio::steady_timer actor_timer_;
  beast::flat_buffer buffer_;
  Listener& listener_;
  uint64_t id_;
  WebSocketRoute route_;
  std::deque<WsMessage> outbox_;
  std::string writing_data_;
  bool writing_ = false;
  bool registered_ = false;
  bool finished_ = false;
};

}  // namespace theater::host::http
