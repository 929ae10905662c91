#include "server/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <sys/socket.h>

#include <set>

#include "chain/event_data.h"
#include "server/channel_registry.h"
#include "server/views.h"
#include "server/frame.h"
#include "server/handlers.h"
#include "server/hangup_watcher.h"
#include "runtime/value_json.h"
#include "server/server.h"
#include "server/websocket.h"

namespace theater::server {
namespace {

bool SameToken(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

constexpr const char* kHungUp = "client disconnected";

std::string Ms(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket, asio::thread_pool& handlers, uint64_t number,
                       bool probation, Transport transport)
    : server_(server),
      socket_(std::move(socket)),
      handlers_(handlers),
      number_(number),
      probation_(probation),
      websocket_(transport == Transport::kWebSocket),
      watchdog_(socket_.get_executor()) {
  authenticated_ = server_.options().auth_token.empty();
  header_need_ = websocket_ ? websocket::kMinHeaderBytes : kFrameHeaderBytes;
}

std::string Connection::Frame(std::string_view body) const {
  return websocket_ ? websocket::EncodeFrame(websocket::kText, body) : EncodeFrame(body);
}

Connection::~Connection() = default;

void Connection::Start() {
  // A peer that vanishes without a word (its host gone, or a client whose FIN waits
  // behind bytes this server is not taking while reading is paused) is found by TCP
  // keepalive: probes after a minute of silence, every 10 s, given up after 3.
  asio::error_code ignored;
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  // Answers go out as soon as they are written (batched by StartWrite already): with
  // Nagle's algorithm a second small write waited for the client's delayed ACK, up to
  // 40 ms, which held pipelined commands to ~11,000 a second.
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  int fd = socket_.native_handle(), idle = 60, interval = 10, count = 3;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  // Reads of what is there must not wait for more (see ReadMore).
  socket_.non_blocking(true, ignored);
  connected_at_ = last_heard_ = Clock::now();
  CheckTimeouts();
  ReadMore();
}

void Connection::StartAfter(std::string prelude) {
  {
    std::lock_guard lock(out_mu_);
    PushLocked(std::move(prelude));
  }
  Start();
}

bool Connection::closed() {
  std::lock_guard lock(out_mu_);
  return closed_;
}

void Connection::Close(const std::string& why) {
  std::map<std::string, Subscription> subscriptions;
  std::map<std::string, std::string> channels;
  std::string request;
  {
    std::lock_guard lock(out_mu_);
    if (closed_) return;
    closed_ = true;
    subscriptions.swap(subscriptions_);
    channels.swap(channels_);
    request.swap(pending_request_);
    out_.clear();
    out_bytes_ = 0;
  }
  // A closed connection no longer counts against max_connections, whatever still holds
  // this object (a command's completion, a timer).
  server_.Forget(number_);
  server_.StopWatching(number_);
  for (auto& [id, s] : subscriptions) server_.system().StopObserving(s.token);
  for (auto& [channel, endpoint] : channels) server_.channels().Drop(endpoint);
  // The request the client waits for (one with no timeout could wait forever) ends now.
  if (!request.empty()) server_.system().CancelRequest(request, "the client disconnected");
  // A client that hangs up between frames is the normal end; anything else is worth a line.
  if (why != kHungUp) server_.Log("connection " + std::to_string(number_) + " closed: " + why);
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Release(); });
}

void Connection::Release() {
  watchdog_.cancel();
  if (reading_paused_) server_.hangups().Unwatch(socket_.native_handle());
  reading_paused_ = false;
  commands_.clear();
  pending_bytes_ = 0;
  body_ = std::string();
  ws_message_ = std::string();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Connection::SetPendingRequest(const std::string& request_id) {
  std::lock_guard lock(out_mu_);
  pending_request_ = request_id;
}

void Connection::CloseAfterWrite(const std::string& why) {
  std::lock_guard lock(out_mu_);
  close_after_write_ = why;
  if (!write_scheduled_) {
    write_scheduled_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
}

// --- Reading ------------------------------------------------------------------------------

size_t Connection::FrameLimit() const {
  const ServerOptions& o = server_.options();
  return authenticated_ ? o.max_frame_bytes : std::min(o.max_frame_bytes, o.max_unauthenticated_bytes);
}

size_t Connection::PendingLimit() const {
  const ServerOptions& o = server_.options();
  return authenticated_ ? o.max_pending_bytes : std::min(o.max_pending_bytes, o.max_unauthenticated_bytes);
}

bool Connection::MustPause() const {
  if (commands_.empty()) return false;  // one frame may always arrive whole
  return commands_.size() >= server_.options().max_pending_commands ||
         pending_bytes_ + body_.capacity() + ws_message_.capacity() >= PendingLimit();
}

void Connection::ReadMore() {
  // Reads what is there without waiting, frame after frame, in a loop: a batch of pipelined
  // commands costs a read or two each and no trip through the event loop. Only when
  // nothing is there does it wait (async_wait) for more. A call from further down this
  // loop's stack (RunNext, once a command has made room) leaves the work to the loop.
  if (in_read_loop_) return;
  in_read_loop_ = true;
  for (;;) {
    if (reading_ || closed()) break;
    if (MustPause()) {
      // RunNext reads on when there is room. Meanwhile a client that hangs up must still be
      // seen, or everything it sent stays held.
      if (!reading_paused_) {
        reading_paused_ = true;
        Status s = server_.hangups().Watch(socket_.native_handle(), number_);
        if (!s.ok()) server_.Log("connection " + std::to_string(number_) + ": " + s.message());
      }
      break;
    }
    if (reading_paused_) {
      reading_paused_ = false;
      server_.hangups().Unwatch(socket_.native_handle());
      if (in_frame_) frame_started_ = Clock::now();  // the pause was the server's doing, not the client's
    }
    asio::error_code ec;
    size_t n = 0;
    if (header_have_ < header_need_) {
      n = socket_.read_some(asio::buffer(header_.data() + header_have_, header_need_ - header_have_), ec);
    } else {
      // The body grows by the bytes that have arrived, never by what its header announced:
      // make room for just those and take them.
      size_t ready = socket_.available(ec);
      if (!ec) {
        size_t take = static_cast<size_t>(std::min<uint64_t>(length_ - body_have_, std::max<size_t>(ready, 1)));
        body_.resize(body_have_ + take);
        n = socket_.read_some(asio::buffer(body_.data() + body_have_, take), ec);
        body_.resize(body_have_ + (ec ? 0 : n));
      }
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      reading_ = true;
      socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](asio::error_code ec) {
        self->reading_ = false;
        if (ec) {
          self->OnRead(ec, 0);
          return;
        }
        self->ReadMore();
      });
      break;
    }
    if (!OnRead(ec, n)) break;
  }
  in_read_loop_ = false;
}

bool Connection::OnRead(asio::error_code ec, size_t n) {
  if (ec == asio::error::operation_aborted || closed()) return false;
  if (ec) {
    if (ec != asio::error::eof) Close(ec.message());
    else Close(in_frame_ ? "client disconnected in the middle of a frame" : kHungUp);
    return false;
  }
  last_heard_ = Clock::now();
  if (!in_frame_) {
    in_frame_ = true;
    frame_started_ = last_heard_;
  }
  if (header_have_ < header_need_) {
    header_have_ += n;
    if (header_have_ < header_need_) return true;
    body_have_ = 0;
    // What the frame may hold: a command, or for a WebSocket the message it continues.
    uint64_t so_far = 0;
    if (!websocket_) {
      length_ = DecodeFrameLength(header_.data());
    } else {
      size_t need = 0;
      auto header = websocket::ReadClientHeader(header_.data(), header_have_, &need);
      if (!header.ok()) {
        Send(ErrorResponse({error_kind::kInvalidCommand, header.error()}));
        PushWebSocketClose(websocket::kCloseProtocolError, header.error());
        CloseAfterWrite(header.error());
        return false;
      }
      if (!*header) {
        header_need_ = need;  // more of the header is on its way
        return true;
      }
      length_ = (*header)->length;
      ws_opcode_ = (*header)->opcode;
      ws_fin_ = (*header)->fin;
      std::copy(std::begin((*header)->mask), std::end((*header)->mask), ws_mask_);
      if (ws_opcode_ == websocket::kContinuation) so_far = ws_message_.size();
    }
    size_t limit = FrameLimit();
    if (so_far + length_ > limit) {  // no overflow: so_far <= limit, a length < 2^63
      std::string why = "frame of " + std::to_string(so_far + length_) + " bytes is larger than the limit of " +
                        std::to_string(limit) + " bytes" + (authenticated_ ? "" : " before authenticating");
      Send(ErrorResponse({error_kind::kFrameTooLarge, why}));
      if (websocket_) PushWebSocketClose(websocket::kCloseTooBig, why);
      CloseAfterWrite(why);  // the stream cannot be resynchronized: read no more
      return false;
    }
  } else {
    body_have_ += n;
  }
  if (body_have_ == length_) {
    body_.resize(static_cast<size_t>(length_));
    std::string body = std::move(body_);
    body_ = std::string();
    header_have_ = body_have_ = 0;
    length_ = 0;
    header_need_ = websocket_ ? websocket::kMinHeaderBytes : kFrameHeaderBytes;
    in_frame_ = false;
    return OnFrame(std::move(body));
  }
  return true;
}

bool Connection::OnFrame(std::string body) {
  if (websocket_) return OnWebSocketFrame(std::move(body));
  pending_bytes_ += body.capacity();
  commands_.push_back(std::move(body));
  RunNext();
  return true;
}

// A WebSocket frame: a text (or binary) message, whole or in fragments, is one command;
// a ping is answered, a close is answered and ends the connection.
bool Connection::OnWebSocketFrame(std::string body) {
  websocket::Unmask(body.data(), body.size(), ws_mask_);
  auto fail = [&](const std::string& why) {
    PushWebSocketClose(websocket::kCloseProtocolError, why);
    CloseAfterWrite(why);
    return false;
  };
  switch (ws_opcode_) {
    case websocket::kPing: {
      std::lock_guard lock(out_mu_);
      if (!closed_) PushLocked(websocket::EncodeFrame(websocket::kPong, body));
      return true;
    }
    case websocket::kPong: return true;
    case websocket::kClose:
      PushWebSocketClose(websocket::kCloseNormal, "");
      CloseAfterWrite(kHungUp);
      return false;
    case websocket::kText:
    case websocket::kBinary:
      if (ws_in_message_) return fail("a new WebSocket message began before the last one ended");
      if (ws_fin_) break;
      ws_in_message_ = true;
      ws_message_ = std::move(body);
      return true;
    case websocket::kContinuation:
      if (!ws_in_message_) return fail("a WebSocket continuation frame without a message to continue");
      ws_message_.append(body);
      if (!ws_fin_) return true;
      body = std::move(ws_message_);
      ws_message_ = std::string();
      ws_in_message_ = false;
      break;
  }
  pending_bytes_ += body.capacity();
  commands_.push_back(std::move(body));
  RunNext();
  return true;
}

void Connection::PushWebSocketClose(uint16_t code, const std::string& why) {
  std::lock_guard lock(out_mu_);
  if (!closed_) PushLocked(websocket::EncodeClose(code, why));
}

// --- Timeouts ----------------------------------------------------------------------------------

bool Connection::Idle() {
  if (in_frame_ || running_command_ || !commands_.empty()) return false;
  std::lock_guard lock(out_mu_);
  return subscriptions_.empty() && channels_.empty() && !watching_ && out_bytes_ == 0;
}

// Runs at the earliest deadline that applies, or, when none does, after the shortest
// timeout (a deadline that begins meanwhile is at least that far away).
void Connection::CheckTimeouts() {
  if (closed()) return;
  const ServerOptions& o = server_.options();
  auto now = Clock::now();
  std::optional<Clock::time_point> next;
  std::string why;
  auto check = [&](std::chrono::milliseconds limit, Clock::time_point since, const std::string& what) {
    if (limit.count() <= 0 || !why.empty()) return;
    if (now - since >= limit) why = what + " within " + Ms(limit);
    if (!next || since + limit < *next) next = since + limit;
  };
  if (!authenticated_) check(o.auth_timeout, connected_at_, "did not authenticate");
  if (in_frame_ && !reading_paused_) check(o.frame_timeout, frame_started_, "a frame did not arrive whole");
  if (Idle()) check(o.idle_timeout, last_heard_, "idle: nothing sent or waited for");
  // The same bound on the other side: a client that reads nothing holds its responses.
  if (writing_since_) check(o.idle_timeout, *writing_since_, "the client did not read what was sent to it");
  if (!why.empty()) return Close(why);
  for (auto limit : {authenticated_ ? std::chrono::milliseconds(0) : o.auth_timeout, o.frame_timeout, o.idle_timeout})
    if (limit.count() > 0 && (!next || now + limit < *next)) next = now + limit;
  if (!next) return;  // no timeouts at all
  watchdog_.expires_at(*next);
  watchdog_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec) self->CheckTimeouts();
  });
}

// --- Running commands, one at a time -------------------------------------------------------

void Connection::RunNext() {
  if (draining_.load()) return;  // the loop below, further up this thread's stack, runs it
  draining_thread_ = std::this_thread::get_id();
  draining_ = true;
  for (;;) {
    if (running_command_ || commands_.empty() || closed()) break;
    {
      std::lock_guard lock(out_mu_);
      if (!close_after_write_.empty()) break;  // refused: nothing more runs
    }
    RunOne();
  }
  draining_ = false;
}

void Connection::RunOne() {
  pending_bytes_ -= commands_.front().capacity();
  std::string text = std::move(commands_.front());
  commands_.pop_front();
  ReadMore();  // there may be room again
  running_command_ = true;
  ParsedCommand parsed = ParseCommand(text, server_.options().max_json_depth);
  if (!parsed.command) return Finish(ErrorResponse(parsed.error));
  Command& command = *parsed.command;
  if (command.kind == CommandKind::kAuthenticate) {
    const std::string& token = server_.options().auth_token;
    if (!token.empty() && !SameToken(token, command.token)) {
      Send(ErrorResponse({error_kind::kUnauthorized, "wrong token"}));
      running_command_ = false;
      return CloseAfterWrite("wrong token");
    }
    authenticated_ = true;
    return Finish(Response("Authenticated", json::object()));
  }
  if (!authenticated_) {
    Send(ErrorResponse({error_kind::kUnauthorized,
                        "this server requires a token: send {\"Authenticate\":{\"token\":\"...\"}} first"}));
    running_command_ = false;
    return CloseAfterWrite("not authenticated");
  }
  // Commands that only hand work to the actor system run here, on the network thread;
  // those that may take a while (loading a component, copying a long chain) run on the
  // handler threads, so that no connection waits for another's.
  // An actor on another node of a cluster is a network round trip away: not quick.
  bool remote = server_.cluster() && !command.id.empty() && !server_.system().FindActor(command.id);
  if (RunsOnNetworkThread(command.kind) && !remote) return RunCommand(server_, shared_from_this(), std::move(command));
  asio::post(handlers_, [self = shared_from_this(), command = std::move(command)]() mutable {
    RunCommand(self->server_, self, std::move(command));
  });
}

void Connection::Finish(std::optional<json> response) {
  {
    std::lock_guard lock(out_mu_);
    pending_request_.clear();
  }
  if (response) Send(*response);
  if (draining_.load() && std::this_thread::get_id() == draining_thread_) {
    running_command_ = false;  // RunNext's loop goes on with the next command
    last_heard_ = Clock::now();
    return;
  }
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->running_command_ = false;
    self->last_heard_ = Clock::now();  // idle from the end of its last command
    self->RunNext();
  });
}

// --- Writing ---------------------------------------------------------------------------------

bool Connection::Send(const json& message, bool droppable) {
  std::string frame = Frame(DumpJson(message));
  std::string overflow;
  {
    std::lock_guard lock(out_mu_);
    if (closed_) return false;
    if (droppable && out_bytes_ >= server_.options().stream_buffer_bytes) return false;
    if (out_bytes_ + frame.size() > server_.options().max_buffer_bytes) {
      overflow = "the client did not read its responses (" + std::to_string(out_bytes_) + " bytes waiting)";
    } else {
      PushLocked(std::move(frame));
    }
  }
  if (!overflow.empty()) Close(overflow);
  return overflow.empty();
}

void Connection::PushLocked(std::string frame) {
  // An answer made on another thread (a worker's reply to a request) goes straight to the
  // socket when nothing is queued before it: waking the network thread to write it would
  // add a thread hand-off to every request's round trip. On the network thread, answers
  // queue up and leave together (a pipelined batch's in one write).
  if (!write_scheduled_ && out_.empty() && close_after_write_.empty() && !server_.OnNetworkThread()) {
    ssize_t n = ::send(socket_.native_handle(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(frame.size())) return;
    if (n > 0) frame.erase(0, static_cast<size_t>(n));  // the rest waits for the socket
    // An error other than a full buffer shows again in StartWrite's write, which closes.
  }
  out_bytes_ += frame.size();
  out_.push_back(std::move(frame));
  if (!write_scheduled_) {
    write_scheduled_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
}

void Connection::StartWrite() {
  std::vector<asio::const_buffer> buffers;
  size_t count = 0, bytes = 0;
  std::string close_reason;
  {
    std::lock_guard lock(out_mu_);
    if (closed_) return;
    for (const std::string& frame : out_) {  // deque elements stay put while others are appended
      if (count == 64 || (count > 0 && bytes + frame.size() > (1u << 20))) break;
      buffers.emplace_back(frame.data(), frame.size());
      bytes += frame.size();
      ++count;
    }
    if (count == 0) {
      write_scheduled_ = false;
      close_reason = close_after_write_;
    }
  }
  if (count == 0) {
    if (!close_reason.empty()) Close(close_reason);
    return;
  }
  writing_since_ = Clock::now();
  asio::async_write(socket_, buffers, [self = shared_from_this(), count, bytes](asio::error_code ec, size_t) {
    self->writing_since_.reset();
    if (ec) return self->Close("could not write to the client: " + ec.message());
    {
      std::lock_guard lock(self->out_mu_);
      if (self->closed_) return;
      for (size_t i = 0; i < count; ++i) self->out_.pop_front();
      self->out_bytes_ -= bytes;
      if (self->out_bytes_ < self->server_.options().stream_buffer_bytes / 2) self->SendLagNotices();
    }
    self->StartWrite();
  });
}

}  // namespace theater::server
