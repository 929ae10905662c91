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

#include "cluster/cluster_node.h"
#include "common/status.h"
#include "runtime/actor_system.h"
#include "server/connection.h"
#include "server/frame.h"
#include "server/protocol.h"
#include "storage/actor_records.h"

namespace theater::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:9000";  // HOST:PORT; port 0 picks a free one
  // The dashboard's HTTP address (HOST:PORT; empty: no dashboard). Beyond loopback it needs
  // the token, as the management port does (server/dashboard.h).
  std::string http_listen;
  std::filesystem::path data_dir;         // chains, compiled components, actors.db
  // Clients must authenticate with this token first. Required when `listen` is not a
  // loopback address.
  std::string auth_token;
  bool fresh = false;  // forget the actors of an earlier run instead of bringing them back
  size_t max_frame_bytes = kDefaultMaxFrameBytes;
  size_t max_connections = 1024;
  size_t max_pending_commands = 64;       // per connection; reading pauses beyond
  // Bytes of frames received but not yet run, per connection; reading pauses beyond (one
  // frame may always arrive whole, so a frame up to max_frame_bytes still goes through).
  size_t max_pending_bytes = 16u << 20;
  // Before a connection authenticates (a server with a token), its frames may be at most
  // this big and it may hold at most this many bytes: an Authenticate is a few dozen.
  size_t max_unauthenticated_bytes = 64u << 10;
  size_t max_json_depth = kDefaultMaxJsonDepth;  // a command nested deeper is refused while it is parsed
  // With a token, the last slots of max_connections are kept for clients that authenticate.
  size_t reserved_connections = 1;
  // Timeouts (0: none). A frame must arrive whole within frame_timeout of its first byte;
  // a connection with nothing to do (no frame arriving, no command queued or running, no
  // subscription or channel) is closed after idle_timeout, and so is one whose client takes
  // none of a write for that long; with a token, a connection must authenticate within
  // auth_timeout of connecting.
  std::chrono::milliseconds frame_timeout{30'000};
  std::chrono::milliseconds idle_timeout{300'000};
  std::chrono::milliseconds auth_timeout{10'000};
  size_t stream_buffer_bytes = 4u << 20;  // per connection; subscription events beyond are dropped, and counted
  size_t max_buffer_bytes = 64u << 20;    // per connection; a client that lets more pile up is disconnected
  size_t handler_threads = 4;             // run commands (start, stop, events...) off the network thread
  SystemOptions system;                   // workers, mailboxes, timeouts, chain durability
  // A node of a cluster over NATS (cluster.url empty: a single node, as before).
  cluster::ClusterOptions cluster;
  // Where the server's own log lines go (default: stderr).
  std::function<void(const std::string&)> log;
};

// What a started server says about itself (GetServerInfo).
struct ServerStats {
  std::string version;
  std::string listen;
  std::string http;  // the dashboard's address, or empty
  std::filesystem::path data_dir;
  uint64_t started_ms = 0;
  size_t connections = 0;
  size_t revived = 0;  // actors brought back at start
  std::vector<std::string> revive_errors;
};

class ChannelRegistry;
class Dashboard;
class HangupWatcher;

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
  const std::string& http_address() const;  // empty without a dashboard

  // For the command handlers.
  ActorSystem& system() { return *system_; }
  ActorRecords& records() { return *records_; }
  // This node of the cluster, or null without --cluster.
  cluster::ClusterNode* cluster() { return cluster_.get(); }
  ChannelRegistry& channels() { return *channels_; }
  const ServerOptions& options() const { return options_; }
  ServerStats Stats();
  // The network thread's executor (timers of commands that wait).
  asio::any_io_executor executor();
  bool OnNetworkThread() const;  // the calling thread runs the event loop
  void Log(const std::string& line);

  // For connections. A closed connection stops counting against max_connections.
  void Forget(uint64_t connection);
  // A connection that asked for every actor's lifecycle changes (WatchActors).
  void StartWatching(const std::shared_ptr<Connection>& connection);
  void StopWatching(uint64_t connection);
  // A slot for a new connection, or null when every slot is taken (see server.cc).
  std::shared_ptr<Connection> Admit(asio::ip::tcp::socket& socket, Transport transport);
  // Sees clients hang up on connections that have stopped reading (network thread).
  HangupWatcher& hangups();

 private:
  struct Impl;
  explicit Server(ServerOptions options);
  Status Start();
  void Revive();
  void Accept();
  void OnLifecycle(const LifecycleEvent& event);
  Status JoinCluster();
  void NotifyWatchers(const std::string& id);

  ServerOptions options_;
  std::unique_ptr<Impl> impl_;  // the network side (asio)
  std::unique_ptr<ActorRecords> records_;
  std::unique_ptr<ChannelRegistry> channels_;
  std::unique_ptr<ActorSystem> system_;
  std::shared_ptr<cluster::ClusterNode> cluster_;  // after system_: it routes the system's messages
  ServerStats stats_;
  std::mutex stats_mu_;
};

}  // namespace theater::server
