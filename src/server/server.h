// theater server: a long-lived actor system driven over TCP by the management protocol
// (docs/protocol.md). It owns the engine, the actor system and the records of the actors
// it runs (<data-dir>/actors.db), so that a server started again brings back the actors
// that were running, with their chains going on.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "common/status.h"
#include "runtime/actor_system.h"
#include "server/frame.h"
#include "storage/actor_records.h"

namespace theater::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:9000";  // HOST:PORT; port 0 picks a free one
  std::filesystem::path data_dir;         // chains, compiled components, actors.db
  // Clients must authenticate with this token first. Required when `listen` is not a
  // loopback address.
  std::string auth_token;
  bool fresh = false;  // forget the actors of an earlier run instead of bringing them back
  size_t max_frame_bytes = kDefaultMaxFrameBytes;
  size_t max_connections = 1024;
  size_t max_pending_commands = 64;       // per connection; reading pauses beyond
  size_t stream_buffer_bytes = 4u << 20;  // per connection; subscription events beyond are dropped, and counted
  size_t max_buffer_bytes = 64u << 20;    // per connection; a client that lets more pile up is disconnected
  size_t handler_threads = 4;             // run commands (start, stop, events...) off the network thread
  SystemOptions system;                   // workers, mailboxes, timeouts, chain durability
  // Where the server's own log lines go (default: stderr).
  std::function<void(const std::string&)> log;
};

// What a started server says about itself (GetServerInfo).
struct ServerStats {
  std::string version;
  std::string listen;
  std::filesystem::path data_dir;
  uint64_t started_ms = 0;
  size_t connections = 0;
  size_t revived = 0;  // actors brought back at start
  std::vector<std::string> revive_errors;
};

class Connection;
class ChannelRegistry;

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();  // Stop(), then the actors are shut down and their chains written out
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until Stop() (from any thread, a signal handler's thread included).
  void Run();
  void Stop();
  uint16_t port() const;
  const std::string& listen_address() const;

  // For the command handlers.
  ActorSystem& system() { return *system_; }
  ActorRecords& records() { return *records_; }
  ChannelRegistry& channels() { return *channels_; }
  const ServerOptions& options() const { return options_; }
  ServerStats Stats();
  // The network thread's executor (timers of commands that wait).
  asio::any_io_executor executor();
  void Log(const std::string& line);

 private:
  struct Impl;
  explicit Server(ServerOptions options);
  Status Start();
  void Revive();
  void Accept();
  void OnLifecycle(const LifecycleEvent& event);

  ServerOptions options_;
  std::unique_ptr<Impl> impl_;  // the network side (asio)
  std::unique_ptr<ActorRecords> records_;
  std::unique_ptr<ChannelRegistry> channels_;
  std::unique_ptr<ActorSystem> system_;
  ServerStats stats_;
  std::mutex stats_mu_;
};

}  // namespace theater::server
