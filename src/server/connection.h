// One client of the server: reads its frames, runs its commands one at a time in the
// order sent, and writes responses and streams (subscribed chain events, channel
// messages) back. Everything it holds is bounded: a frame's body grows only with the
// bytes that arrive; frames waiting to run are bounded in number and bytes (reading
// pauses, and a hang-up is still seen); bytes waiting to be written are bounded (events
// beyond the stream budget are dropped and the client is told how many; a client that
// lets even more pile up is disconnected); and time is bounded (a frame must arrive whole,
// an idle connection is closed, a token must be shown soon after connecting).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chain/event.h"
#include "common/status.h"

#include <asio.hpp>

#include "server/protocol.h"

namespace theater::server {

class Server;

// How documents are framed on the wire: the management port's 4-byte length prefix, or
// WebSocket messages (the dashboard, after its HTTP upgrade; server/websocket.h).
enum class Transport { kFramed, kWebSocket };

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `probation`: admitted to a slot kept for clients that authenticate (server.h,
  // reserved_connections); until it has, a newer connection may take its place.
  Connection(Server& server, asio::ip::tcp::socket socket, asio::thread_pool& handlers, uint64_t number,
             bool probation = false, Transport transport = Transport::kFramed);
  ~Connection();

  void Start();
  // Start(), with `prelude` written before anything else (a WebSocket's 101 response).
  void StartAfter(std::string prelude);
  // Stops counting against the server's connections at once, ends the command it waits
  // on, drops what it holds, and closes the socket. Any thread.
  void Close(const std::string& why);
  bool closed();
  uint64_t number() const { return number_; }
  // In a reserved slot and not authenticated yet.
  bool on_probation() const { return probation_ && !authenticated_; }
  // The outside request the running command waits for, cancelled if the client goes.
  void SetPendingRequest(const std::string& request_id);

  // Queues a frame for the client. A stream item (droppable) is refused beyond the
  // stream budget; anything beyond the hard budget disconnects the client. Any thread.
  bool Send(const json& message, bool droppable = false);

  // Subscriptions to actors' chains (SubscribeToActor, or StartActor with subscribe/parent).
  struct Subscription {
    std::string id;
    std::string actor_id;
    uint64_t token = 0;      // ActorSystem::Observe
    bool events = true;      // forward every event
    bool lifecycle = false;  // tell how the actor ends (StartActor with parent)
    bool catching_up = false;              // sending the chain so far: new events wait
    std::vector<ChainEvent> waiting;       // events recorded while catching up
    uint64_t dropped = 0;    // events not sent since the last lag notice
  };
  // Sends `response` (with the subscription's id added as "subscription_id"), then, with
  // `from`, the actor's events from that seq, then each new one as it is recorded.
  Status Subscribe(const std::string& actor_id, bool events, bool lifecycle, std::optional<uint64_t> from,
                   json response, const char* tag);
  Status Unsubscribe(const std::string& actor_id, const std::string& subscription_id);

  // Every actor's lifecycle changes (WatchActors): `summary` goes out as ActorChanged.
  void Watch();
  void OnActorChanged(const json& summary);  // any thread; dropped beyond the stream budget

  // A channel this connection opened (it is its participant).
  void AdoptChannel(const std::string& channel_id, const std::string& endpoint_id);

  bool authenticated() const { return authenticated_; }
  // How this connection wants bytes in responses (SetBytesEncoding): arrays or base64.
  void SetBytesBase64(bool on) { bytes_base64_ = on; }
  json BytesJson(const Bytes& bytes) const { return BytesToJson(bytes, bytes_base64_); }
  bool bytes_base64() const { return bytes_base64_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Network thread.
  void ReadMore();  // reads while there are bytes, unless reading must pause; then waits for more
  // Takes `n` bytes just read (or the read's error); false when reading must stop.
  bool OnRead(asio::error_code ec, size_t n);
  // A whole frame's body has arrived (for a WebSocket, unmasked): a command, or a
  // WebSocket control frame or part of a message. False when reading must stop.
  bool OnFrame(std::string body);
  bool OnWebSocketFrame(std::string body);
  void PushWebSocketClose(uint16_t code, const std::string& why);
  // The wire form of one document (length-prefixed, or a WebSocket text message).
  std::string Frame(std::string_view body) const;
  bool MustPause() const;
  size_t FrameLimit() const;
  size_t PendingLimit() const;
  void CheckTimeouts();
  bool Idle();
  void Release();  // after Close: frees what it holds and closes the socket
  // Runs the received commands, one at a time, until one waits (its Finish comes later)
  // or none is left: a batch of pipelined commands runs in one go, and their answers go
  // out together in one write.
  void RunNext();
  void RunOne();
  // The command is done: `response` (if any) goes out and the next command may run. Any thread.
 public:
  void Finish(std::optional<json> response);
 private:
  void PushLocked(std::string frame);  // out_mu_ held
  void CloseAfterWrite(const std::string& why);
  void StartWrite();  // network thread
  void OnObserved(const std::string& subscription_id, const ChainEvent& event);
  void SendLagNotices();  // out_mu_ held
  void RouteLocked(Subscription& s, const ChainEvent& e);  // out_mu_ held: an event to a subscription

  Server& server_;
  asio::ip::tcp::socket socket_;
  asio::thread_pool& handlers_;
  uint64_t number_;
  const bool probation_;
  const bool websocket_;
  std::atomic<bool> authenticated_{false};
  std::atomic<bool> bytes_base64_{false};

  // Network thread only.
  std::array<uint8_t, 14> header_{};  // of the frame arriving: 4 bytes, or a WebSocket frame's 2 to 14
  size_t header_have_ = 0;
  size_t header_need_ = 0;           // header bytes to read (a WebSocket header's size is known as it arrives)
  uint64_t length_ = 0;              // of the frame arriving (its payload, for a WebSocket)
  uint8_t ws_opcode_ = 0;            // WebSocket: the arriving frame's opcode, mask and FIN bit
  uint8_t ws_mask_[4] = {};
  bool ws_fin_ = false;
  std::string ws_message_;           // WebSocket: the fragments of a message so far
  bool ws_in_message_ = false;
  std::string body_;                 // its bytes so far (body_have_ of them; more is room for the next read)
  size_t body_have_ = 0;
  std::deque<std::string> commands_;  // frames received, not yet run
  size_t pending_bytes_ = 0;          // what commands_ holds (capacity, what is really allocated)
  bool reading_ = false;              // waiting for bytes to read
  bool in_read_loop_ = false;         // ReadMore's loop is running
  bool reading_paused_ = false;       // until commands have run; the hang-up watcher watches meanwhile
  bool running_command_ = false;
  // RunNext's loop is running, on this thread: a Finish there ends its command in place.
  std::atomic<bool> draining_{false};
  std::atomic<std::thread::id> draining_thread_{};
  bool in_frame_ = false;             // from a frame's first byte to its last
  Clock::time_point connected_at_, frame_started_, last_heard_;
  std::optional<Clock::time_point> writing_since_;  // a write is under way, since then
  asio::steady_timer watchdog_;

  std::mutex out_mu_;  // guards the rest
  std::deque<std::string> out_;
  size_t out_bytes_ = 0;
  bool write_scheduled_ = false;
  bool closed_ = false;
  std::string close_after_write_;  // a reason: close once what is queued is written
  std::map<std::string, Subscription> subscriptions_;
  std::map<std::string, std::string> channels_;  // channel id -> its endpoint id
  bool watching_ = false;            // WatchActors
  uint64_t watch_dropped_ = 0;       // ActorChanged not sent since the last WatchLagged
  uint64_t next_subscription_ = 1;
  std::string pending_request_;
};

}  // namespace theater::server
