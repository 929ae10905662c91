// WebSocket connections of the http-framework servers (Beast websocket). Each message
// read is handed to the actor's message handler; its answer (a list of messages) is sent
// back before the next message is read, so a client cannot queue unbounded work.
#include "common/bytes.h"
#include "host/http_listener.h"

namespace theater::host::http {
namespace {

// Messages the actor queued that the client has not taken yet; beyond this the client is
// too slow and the connection is closed.
constexpr size_t kMaxOutbox = 1024;

}  // namespace

template <typename Stream>
WsSession<Stream>::WsSession(Stream stream, Listener& listener, uint64_t id, WebSocketRoute route)
    : ws_(std::move(stream)), actor_timer_(listener.io()), listener_(listener), id_(id), route_(std::move(route)) {}

template <typename Stream>
void WsSession<Stream>::AwaitActor() {
  actor_timer_.expires_after(listener_.shared().limits.request_timeout);
  actor_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->Close();
  });
}

template <typename Stream>
WsSession<Stream>::~WsSession() {
  if (registered_) listener_.UnregisterWs(id_);
  listener_.RemoveConnection();
}

template <typename Stream>
void WsSession<Stream>::Accept(bhttp::request<bhttp::string_body> request, std::string path, std::optional<std::string> query) {
  websocket::stream_base::timeout timeout = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeout.handshake_timeout = listener_.shared().limits.header_timeout;
  timeout.idle_timeout = std::chrono::minutes(5);
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.read_message_max(listener_.shared().limits.max_request_bytes);
  ws_.async_accept(request, [self = shared_from_this(), path = std::move(path),
                             query = std::move(query)](beast::error_code ec) mutable {
    if (ec) return;  // the handshake failed: the actor never heard of this connection
    self->listener_.RegisterWs(self->id_, std::weak_ptr<WsConnection>(self));
    self->registered_ = true;
    if (!self->route_.connect_handler) return self->Read();
    self->AwaitActor();
    self->listener_.shared().gateway->WebSocketConnect(
        *self->route_.connect_handler, self->id_, std::move(path), std::move(query),
        BackOnIoThread<bool, WsSession>(self->listener_, self, [](WsSession& s, Answer<bool> answer) {
          s.Answered();
          if (std::holds_alternative<Refusal>(answer)) return s.Close();
          s.Read();
        }));
  });
}

template <typename Stream>
void WsSession<Stream>::Read() {
  if (finished_) return;
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t bytes) { self->OnRead(ec, bytes); });
}

template <typename Stream>
void WsSession<Stream>::OnRead(beast::error_code ec, size_t bytes) {
  if (ec) return Finish();  // closed by the client, reset, too large, or idle too long
  WsMessage message;
  std::string payload = beast::buffers_to_string(buffer_.data());
  buffer_.consume(bytes);
  if (ws_.got_text() && IsValidUtf8(payload)) {  // Beast checks text frames; checked again: the engine must not see bad UTF-8
    message.type = "text";
    message.text = std::move(payload);
  } else {
    message.type = "binary";
    message.data = std::move(payload);
  }
  AwaitActor();
  listener_.shared().gateway->WebSocketMessage(
      route_.message_handler, id_, std::move(message),
      BackOnIoThread<std::vector<WsMessage>, WsSession>(
          listener_, this->weak_from_this(), [](WsSession& s, Answer<std::vector<WsMessage>> answer) {
            s.Answered();
            if (std::holds_alternative<Refusal>(answer)) return s.Close();
            for (WsMessage& reply : std::get<std::vector<WsMessage>>(answer)) s.Send(std::move(reply));
            s.Read();
          }));
}

template <typename Stream>
void WsSession<Stream>::Send(WsMessage message) {
  if (finished_) return;
  if (outbox_.size() >= kMaxOutbox) return Close();
  outbox_.push_back(std::move(message));
  Pump();
}

template <typename Stream>
void WsSession<Stream>::Close() {
  if (finished_) return;
  outbox_.push_back(WsMessage{"close", "", std::nullopt, std::nullopt});
  Pump();
}

// Sends the next queued message; Beast allows one write (data or control frame) at a time.
template <typename Stream>
void WsSession<Stream>::Pump() {
  while (!writing_ && !finished_ && !outbox_.empty()) {
    WsMessage m = std::move(outbox_.front());
    outbox_.pop_front();
    auto done = [self = shared_from_this()](beast::error_code ec, size_t = 0) { self->OnWritten(ec); };
    if (m.type == "text" || m.type == "binary") {
      bool text = m.type == "text";
      writing_data_ = text ? (m.text ? *m.text : m.data.value_or("")) : (m.data ? *m.data : m.text.value_or(""));
      ws_.text(text);
      writing_ = true;
      ws_.async_write(asio::buffer(writing_data_), done);
    } else if (m.type == "close") {
      writing_ = true;
      ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) { self->Finish(); });
    } else if (m.type == "ping" || m.type == "pong") {
      writing_data_ = m.data.value_or(m.text.value_or("")).substr(0, 125);  // a control frame's limit
      websocket::ping_data data(writing_data_.data(), writing_data_.size());
      writing_ = true;
      if (m.type == "ping") ws_.async_ping(data, done);
      else ws_.async_pong(data, done);
    }
    // connect and other(...) mean nothing to send: skipped.
  }
}

template <typename Stream>
void WsSession<Stream>::OnWritten(beast::error_code ec) {
  writing_ = false;
  if (ec) return Finish();
  Pump();
}

// The connection is over: the actor hears it once (if it asked to), and sends to it fail.
template <typename Stream>
void WsSession<Stream>::Finish() {
  if (finished_) return;
  finished_ = true;
  outbox_.clear();
  actor_timer_.cancel();
  if (registered_) {
    listener_.UnregisterWs(id_);
    registered_ = false;
    if (route_.disconnect_handler) listener_.shared().gateway->WebSocketDisconnect(*route_.disconnect_handler, id_);
  }
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close();
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace theater::host::http
