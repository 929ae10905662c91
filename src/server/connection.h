// One client of the server: reads its frames, runs its commands one at a time in the
// order sent, and writes responses and streams (subscribed chain events, channel
// messages) back. Everything it holds is bounded: commands waiting (reading pauses),
// bytes waiting to be written (events beyond the stream budget are dropped and the client
// is told how many; a client that lets even more pile up is disconnected).
#pragma once

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chain/event.h"
#include "common/status.h"

#include <asio.hpp>

#include "server/protocol.h"

namespace theater::server {

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, asio::ip::tcp::socket socket, asio::thread_pool& handlers, uint64_t number);
  ~Connection();

  void Start();
  // Closes the socket; pending work finds the connection closed. Any thread.
  void Close(const std::string& why);
  bool closed();
  uint64_t number() const { return number_; }

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

  // A channel this connection opened (it is its participant).
  void AdoptChannel(const std::string& channel_id, const std::string& endpoint_id);

  bool authenticated() const { return authenticated_; }

 private:
  void ReadHeader();
  void ReadBody(uint32_t length);
  void OnFrame(std::string body);
  void RunNext();  // network thread
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
  std::array<uint8_t, 4> header_{};
  std::string body_;

  // Network thread only.
  std::deque<std::string> commands_;  // frames received, not yet run
  bool running_command_ = false;
  bool reading_paused_ = false;
  bool authenticated_ = false;

  std::mutex out_mu_;  // guards the rest
  std::deque<std::string> out_;
  size_t out_bytes_ = 0;
  bool write_scheduled_ = false;
  bool closed_ = false;
  std::string close_after_write_;  // a reason: close once what is queued is written
  std::map<std::string, Subscription> subscriptions_;
  std::map<std::string, std::string> channels_;  // channel id -> its endpoint id
  uint64_t next_subscription_ = 1;
};

}  // namespace theater::server
