#include "server/server.h"

#include "server/actor_queries.h"

#include <cstdio>

#include "common/ed25519.h"
#include "common/files.h"
#include "host/child_manifest.h"
#include "host/host_interfaces.h"
#include "runtime/actor_context.h"
#include "chain/snapshot_file.h"
#include "runtime/chain_state.h"
#include "server/actor_queries.h"
#include "server/channel_registry.h"
#include "server/connection.h"
#include "server/dashboard.h"
#include "server/views.h"
#include "server/handlers.h"
#include "server/hangup_watcher.h"
#include "server/log_throttle.h"

namespace theater::server {
namespace {

constexpr const char* kVersion = "theater 0.1.0 (wasmtime 48.0.8)";

Result<asio::ip::tcp::endpoint> ParseListen(const std::string& listen, const std::string& flag = "--listen") {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::Error(flag + " " + listen + ": expected HOST:PORT");
  std::string host = listen.substr(0, colon), port_text = listen.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return Status::Error(flag + " " + listen + ": the port must be a number from 0 to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  asio::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::Error(flag + " " + listen + ": `" + host + "` is not an IP address");
  return asio::ip::tcp::endpoint(address, static_cast<uint16_t>(port));
}

}  // namespace

struct Server::Impl {
  asio::io_context io{1};
  asio::ip::tcp::acceptor acceptor{io};
  asio::thread_pool handlers;
  std::mutex mu;
  std::map<uint64_t, std::weak_ptr<Connection>> connections;  // the open ones, oldest first
  std::map<uint64_t, std::weak_ptr<Connection>> watchers;     // those that watch every actor
  std::unique_ptr<Dashboard> dashboard;
  std::unique_ptr<HangupWatcher> hangups;
  uint64_t next_connection = 1;
  std::atomic<bool> stopping{false};
  std::string listen;
  uint16_t port = 0;
  std::unique_ptr<LogThrottle> actor_log;  // what actors log, on its way to Log

  explicit Impl(size_t threads) : handlers(threads) {}
};

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  Stop();
  impl_->handlers.join();
  if (system_) system_->Shutdown();  // chains written out; records keep the actors for next time
  if (cluster_) cluster_->Stop();
}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  THEATER_RETURN_IF_ERROR(server->Start());
  return server;
}

void Server::Log(const std::string& line) {
  // Escaped here, whatever the line carries (an actor's words in an error, a path): one
  // call, one line of the log, no terminal escapes.
  std::string safe = EscapeForLog(line);
  if (options_.log) return options_.log(safe);
  std::fprintf(stderr, "theater server: %s\n", safe.c_str());
}

Status Server::Start() {
  impl_ = std::make_unique<Impl>(std::max<size_t>(1, options_.handler_threads));
  auto endpoint = ParseListen(options_.listen);
  if (!endpoint.ok()) return endpoint.status();
  if (!endpoint->address().is_loopback() && options_.auth_token.empty())
    return Status::Error("--listen " + options_.listen +
                         " is not a loopback address: give the server a token (--token or THEATER_TOKEN) that clients "
                         "must send");
  std::optional<asio::ip::tcp::endpoint> http_endpoint;
  if (!options_.http_listen.empty()) {
    auto parsed = ParseListen(options_.http_listen, "--http");
    if (!parsed.ok()) return parsed.status();
    if (!parsed->address().is_loopback() && options_.auth_token.empty())
      return Status::Error("--http " + options_.http_listen +
                           " is not a loopback address: give the server a token (--token or THEATER_TOKEN) that the "
                           "dashboard must be given");
    http_endpoint = *parsed;
  }

  std::error_code fs_ec;
  std::filesystem::create_directories(options_.data_dir, fs_ec);
  if (fs_ec) return Status::Error(options_.data_dir.string() + ": " + fs_ec.message());
  auto records = ActorRecords::Open(options_.data_dir / "actors.db");
  if (!records.ok()) return records.status();
  records_ = std::move(*records);
  if (options_.fresh) THEATER_RETURN_IF_ERROR(records_->Clear());

  EngineOptions engine_options;
  engine_options.cache_dir = options_.data_dir / "cache" / "components";
  auto engine = Engine::Create(engine_options);
  if (!engine.ok()) return engine.status();
  THEATER_RETURN_IF_ERROR(host::DefineAllInterfaces(**engine));

  SystemOptions system_options = options_.system;
  system_options.chain_dir = options_.data_dir / "chains";
  system_options.data_dir = options_.data_dir;
  auto key_path = options_.data_dir / "keys" / "checkpoint.key";
  if (!system_options.chain_store.signing_key && std::filesystem::exists(key_path)) {
    auto key = Ed25519Key::Load(key_path);
    if (!key.ok()) return key.status();
    system_options.chain_store.signing_key = *key;
  }
  if (!system_options.log_sink) {
    impl_->actor_log = std::make_unique<LogThrottle>([this](const std::string& line) { Log(line); });
    system_options.log_sink = [this](const std::string& id, const std::string& line) { impl_->actor_log->Line(id, line); };
  }
  auto user_lifecycle = system_options.on_lifecycle;
  system_options.on_lifecycle = [this, user_lifecycle](const LifecycleEvent& e) {
    OnLifecycle(e);
    if (user_lifecycle) user_lifecycle(e);
  };
  auto system = ActorSystem::Create(*engine, system_options);
  if (!system.ok()) return system.status();
  system_ = std::move(*system);
  channels_ = std::make_unique<ChannelRegistry>(*system_);
  if (!options_.cluster.url.empty()) THEATER_RETURN_IF_ERROR(JoinCluster());

  auto hangups = HangupWatcher::Create(impl_->io, [this](uint64_t number) {
    std::shared_ptr<Connection> c;
    {
      std::lock_guard lock(impl_->mu);
      if (auto it = impl_->connections.find(number); it != impl_->connections.end()) c = it->second.lock();
    }
    if (c) c->Close("client disconnected");
  });
  if (!hangups.ok()) return hangups.status();
  impl_->hangups = std::move(*hangups);

  asio::error_code ec;
  impl_->acceptor.open(endpoint->protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(*endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error("cannot listen on " + options_.listen + ": " + ec.message());
  auto bound = impl_->acceptor.local_endpoint();
  impl_->listen = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string()) +
                  ":" + std::to_string(bound.port());
  impl_->port = bound.port();
  if (http_endpoint) {
    auto dashboard = Dashboard::Create(*this, impl_->io, *http_endpoint);
    if (!dashboard.ok()) return dashboard.status();
    impl_->dashboard = std::move(*dashboard);
    stats_.http = impl_->dashboard->address();
  }
  stats_.version = kVersion;
  stats_.listen = impl_->listen;
  stats_.data_dir = options_.data_dir;
  stats_.started_ms = NowMs();
  Revive();
  Accept();
  return Status::Ok();
}

// Joins the cluster: this node answers other nodes about its actors with the same code
// that answers its clients (server/actor_queries.h), and routes messages to theirs.
Status Server::JoinCluster() {
  cluster::ClusterNode::Handlers handlers;
  handlers.query = [this](const std::string& actor_id, const json& command) -> json {
    auto parsed = ParseCommand(command.dump());
    if (!parsed.command) return ErrorResponse(parsed.error);
    Command& c = *parsed.command;
    if (c.id != actor_id)
      return ErrorResponse({error_kind::kInvalidCommand, "a query for actor " + actor_id + " names actor " + c.id});
    if (IsActorQuery(c.kind)) return QueryActor(*this, c, /*base64=*/true);
    if (c.kind == CommandKind::kStopActor || c.kind == CommandKind::kTerminateActor || c.kind == CommandKind::kRestartActor)
      return ControlActorAndWait(*this, c);
    return ErrorResponse({error_kind::kInvalidCommand, "command " + c.name + " is not answered for other nodes"});
  };
  handlers.start = [this](const json& command) -> json {
    auto parsed = ParseCommand(command.dump());
    if (!parsed.command) return ErrorResponse(parsed.error);
    Command& c = *parsed.command;
    if (c.kind != CommandKind::kStartActor || c.node != cluster_->name())
      return ErrorResponse({error_kind::kInvalidCommand, "not a StartActor for node " + cluster_->name()});
    return StartActorHere(*this, c);
  };
  handlers.list = [this] { return ActorSummariesJson(*system_); };
  cluster::ClusterOptions options = options_.cluster;
  if (!options.log) options.log = [this](const std::string& line) { Log(line); };
  auto node = cluster::ClusterNode::Start(std::move(options), *system_, std::move(handlers));
  if (!node.ok()) return node.status();
  cluster_ = std::move(*node);
  system_->SetRemoteRouter(cluster_);
  return Status::Ok();
}

// Brings back the actors that were running when the server last stopped (or crashed),
// parents before their children, each from its last recorded state.
void Server::Revive() {
  auto running = records_->Running();
  if (!running.ok()) {
    Log("cannot read the actor records: " + running.error());
    return;
  }
  size_t revived = 0;
  std::vector<std::string> errors;
  for (const ActorRecord& r : *running) {
    auto fail = [&](const std::string& why) {
      errors.push_back(r.id + ": " + why);
      Log("could not bring back actor " + r.id + ": " + why);
      records_->SetStatus(r.id, "failed", "could not be brought back: " + why);
    };
    std::filesystem::path chain = system_->options().chain_dir / (r.id + ".chain");
    if (!std::filesystem::exists(chain)) {
      fail("its chain file " + chain.string() + " is missing");
      continue;
    }
    std::vector<ChainEvent> events;
    RecoveryReport recovery = RecoverChainFile(chain, &events);
    if (!recovery.verify.ok) {
      fail("its chain does not verify: " + recovery.verify.reason);
      continue;
    }
    if (!recovery.snapshots_problem.empty()) {
      fail("its states are not all there: " + recovery.snapshots_problem);
      continue;
    }
    auto snapshots = SnapshotFile::Open(SnapshotPathFor(chain));
    if (!snapshots.ok()) {
      fail(snapshots.error());
      continue;
    }
    auto state = LastGoodState(events, **snapshots);
    if (!state.ok()) {
      fail(state.error());
      continue;
    }
    // A child's manifest is read again through its (already revived) parent's reach, as
    // at its spawn; one spawned from a store:// manifest is brought back from the store.
    auto manifest = [&]() -> Result<Manifest> {
      std::shared_ptr<Actor> parent = r.parent.empty() ? nullptr : system_->FindActor(r.parent);
      if (!r.parent.empty() && !parent) return Status::Error("its parent " + r.parent + " is not running");
      std::optional<host::ParentReach> reach;
      if (parent) reach.emplace(parent->manifest(), parent->permissions());
      const ManifestFiles* files = reach ? &*reach : nullptr;
      if (!IsStoreReference(r.manifest)) return LoadManifest(r.manifest, files);
      auto store = system_->content_store();
      if (!store.ok()) return store.status();
      auto text = (*store)->Read(r.manifest);
      if (!text.ok()) return text.status();
      return ParseManifest(ToString(*text), reach ? reach->roots().front() : "/", r.manifest, files);
    }();
    if (!manifest.ok()) {
      fail(manifest.error());
      continue;
    }
    auto id = system_->Revive(r.id, r.parent, std::move(*manifest), std::move(events), std::move(*state),
                              "server restart");
    if (!id.ok()) {
      fail(id.error());
      continue;
    }
    ++revived;
  }
  if (revived || !errors.empty())
    Log("brought back " + std::to_string(revived) + " actors" +
        (errors.empty() ? "" : "; " + std::to_string(errors.size()) + " could not be"));
  std::lock_guard lock(stats_mu_);
  stats_.revived = revived;
  stats_.revive_errors = std::move(errors);
}

void Server::OnLifecycle(const LifecycleEvent& e) {
  using Kind = LifecycleEvent::Kind;
  NotifyWatchers(e.id);
  Status s;
  switch (e.kind) {
    case Kind::kStarted:
    case Kind::kRevived:
    case Kind::kRestarted: {
      if (cluster_ && e.kind != Kind::kRestarted) cluster_->Host(e.id);
      ActorRecord r;
      r.id = e.id;
      r.parent = e.parent;
      r.manifest = e.manifest.string();
      r.status = "running";
      r.created_ms = r.updated_ms = NowMs();
      s = records_->Put(r);
      break;
    }
    case Kind::kFinished:
      // Stopped by the server's own shutdown: it comes back on the next start.
      if (e.origin == StopOrigin::kShutdown) return;
      s = records_->SetStatus(e.id, e.failed ? "failed" : "stopped", e.reason);
      break;
  }
  if (!s.ok()) Log("actor records: " + s.message());
}

// Tells the connections that watch every actor (WatchActors) how this one is now. The
// summary is read on the network thread, after the change: the actor system calls
// OnLifecycle with its own locks held.
void Server::NotifyWatchers(const std::string& id) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->watchers.empty()) return;
  }
  asio::post(impl_->io, [this, id] {
    auto info = system_ ? system_->Info(id) : Result<ActorInfo>(Status::Error("no actor system"));
    if (!info.ok()) return;
    json summary = ActorSummaryJson(*info);
    std::vector<std::shared_ptr<Connection>> watchers;
    {
      std::lock_guard lock(impl_->mu);
      for (auto& [n, weak] : impl_->watchers)
        if (auto c = weak.lock()) watchers.push_back(std::move(c));
    }
    for (auto& c : watchers) c->OnActorChanged(summary);
  });
}

void Server::Accept() {
  impl_->acceptor.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (impl_->stopping) return;
    if (ec) {
      // Out of descriptors (or memory), the connection stays in the backlog and accepting
      // again at once fails again: a busy loop that floods the log. Try again a little later.
      Log("accept: " + ec.message() + "; trying again in 100 ms");
      auto timer = std::make_shared<asio::steady_timer>(impl_->io, std::chrono::milliseconds(100));
      return timer->async_wait([this, timer](asio::error_code) {
        if (!impl_->stopping) Accept();
      });
    } else {
      std::shared_ptr<Connection> connection = Admit(socket, Transport::kFramed);
      if (connection) {
        connection->Start();
      } else {
        // Too many clients: this one is told so and let go.
        auto refused = std::make_shared<std::string>(EncodeFrame(
            ErrorResponse({error_kind::kBusy, "the server has its maximum of " + std::to_string(options_.max_connections) +
                                                  " connections"}).dump()));
        auto s = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
        asio::async_write(*s, asio::buffer(*refused), [s, refused](asio::error_code, size_t) {
          asio::error_code ignored;
          s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
          s->close(ignored);
        });
      }
    }
    Accept();
  });
}

// A slot for a new connection. With a token, the last reserved_connections slots are kept
// for clients that authenticate: a connection admitted to one is on probation until it
// has, and a newer connection takes the place of the oldest one still on probation when
// every slot is taken. So clients that connect and never authenticate (slowloris) cannot
// lock an operator out; without a token, any client is as good as the operator.
std::shared_ptr<Connection> Server::Admit(asio::ip::tcp::socket& socket, Transport transport) {
  size_t max = options_.max_connections;
  size_t reserved = options_.auth_token.empty() ? 0 : std::min(options_.reserved_connections, max);
  std::shared_ptr<Connection> replaced;
  {
    std::lock_guard lock(impl_->mu);
    for (auto it = impl_->connections.begin(); it != impl_->connections.end();)
      it = it->second.expired() ? impl_->connections.erase(it) : std::next(it);
    size_t open = impl_->connections.size();
    if (open >= max) {
      if (reserved == 0) return nullptr;
      for (auto& [n, weak] : impl_->connections) {
        auto c = weak.lock();
        if (c && c->on_probation()) {
          replaced = std::move(c);
          break;
        }
      }
      if (!replaced) return nullptr;
    }
  }
  if (replaced) replaced->Close("a newer connection took its reserved slot before it authenticated");
  std::lock_guard lock(impl_->mu);
  bool probation = impl_->connections.size() + reserved >= max;
  uint64_t number = impl_->next_connection++;
  auto connection = std::make_shared<Connection>(*this, std::move(socket), impl_->handlers, number, probation, transport);
  impl_->connections[number] = connection;
  return connection;
}

void Server::Forget(uint64_t connection) {
  std::lock_guard lock(impl_->mu);
  impl_->connections.erase(connection);
  impl_->watchers.erase(connection);
}

void Server::StartWatching(const std::shared_ptr<Connection>& connection) {
  connection->Watch();
  std::lock_guard lock(impl_->mu);
  if (impl_->connections.count(connection->number())) impl_->watchers[connection->number()] = connection;
}

void Server::StopWatching(uint64_t connection) {
  std::lock_guard lock(impl_->mu);
  impl_->watchers.erase(connection);
}

HangupWatcher& Server::hangups() { return *impl_->hangups; }

void Server::Run() {
  Log("listening on " + impl_->listen + " (data in " + options_.data_dir.string() + ")");
  if (impl_->dashboard) Log("dashboard on http://" + impl_->dashboard->address() + "/");
  auto guard = asio::make_work_guard(impl_->io);
  impl_->io.run();
}

void Server::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  asio::post(impl_->io, [this] {
    asio::error_code ignored;
    impl_->acceptor.close(ignored);
    if (impl_->dashboard) impl_->dashboard->Close();
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(impl_->mu);
      for (auto& [n, weak] : impl_->connections)
        if (auto c = weak.lock()) open.push_back(c);
    }
    for (auto& c : open) c->Close("the server is stopping");
    if (impl_->hangups) impl_->hangups->Cancel();
    // Let the closes run, then end the loop.
    asio::post(impl_->io, [this] { impl_->io.stop(); });
  });
}

uint16_t Server::port() const { return impl_->port; }

const std::string& Server::listen_address() const { return impl_->listen; }

const std::string& Server::http_address() const { return stats_.http; }

asio::any_io_executor Server::executor() { return impl_->io.get_executor(); }

bool Server::OnNetworkThread() const { return impl_->io.get_executor().running_in_this_thread(); }

ServerStats Server::Stats() {
  std::lock_guard lock(stats_mu_);
  ServerStats s = stats_;
  std::lock_guard c(impl_->mu);
  s.connections = impl_->connections.size();  // closed ones are forgotten at once
  return s;
}

}  // namespace theater::server
