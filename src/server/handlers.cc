#include "server/handlers.h"

#include <atomic>
#include <map>

#include <asio.hpp>
#include <toml++/toml.h>

#include "chain/chain_image.h"
#include "chain/snapshot_file.h"
#include "common/files.h"
#include "common/sha256.h"
#include "runtime/replay.h"
#include "manifest/manifest.h"
#include "common/base64.h"
#include "server/actor_queries.h"
#include "server/channel_registry.h"
#include "server/connection.h"
#include "server/views.h"
#include "runtime/actor_context.h"
#include "server/server.h"

namespace theater::server {
namespace {

using K = CommandKind;




// A manifest given to StartActor: inline TOML when it has a line break or an `=`, else an
// absolute path. An inline manifest is kept under <data-dir>/manifests (named by its
// SHA-256), so the actor can be brought back after a restart; its component must then be
// an absolute path, as there is no folder to resolve it against.
Result<Manifest> ManifestFrom(const std::string& text, const std::filesystem::path& data_dir) {
  if (text.find('\n') != std::string::npos || text.find('=') != std::string::npos) {
    try {
      toml::table doc = toml::parse(text);
      std::string component = doc["component"].value_or(std::string());
      if (!component.empty() && component.rfind("store://", 0) != 0 && !std::filesystem::path(component).is_absolute())
        return Status::Error("inline manifest: field `component`: give an absolute path (`" + component +
                             "` has no folder to be relative to)");
      // The filesystem's `path` too: relative, it would land in the saved copy's folder.
      if (const toml::array* handlers = doc["handler"].as_array()) {
        for (const auto& h : *handlers) {
          const toml::table* t = h.as_table();
          if (!t || (*t)["type"].value_or(std::string()) != "filesystem") continue;
          std::string dir = (*t)["path"].value_or(std::string());
          if (!dir.empty() && !std::filesystem::path(dir).is_absolute())
            return Status::Error("inline manifest: filesystem handler field `path`: give an absolute path (`" + dir +
                                 "` has no folder to be relative to)");
        }
      }
    } catch (const toml::parse_error&) {
      // ParseManifest below says what is wrong, and where.
    }
    auto parsed = ParseManifest(text, "/", "inline manifest");
    if (!parsed.ok()) return parsed.status();
    std::filesystem::path saved = data_dir / "manifests" / (ToHex(Sha256(ToBytes(text))) + ".toml");
    std::error_code ec;
    std::filesystem::create_directories(saved.parent_path(), ec);
    if (!std::filesystem::exists(saved)) THEATER_RETURN_IF_ERROR(WriteFileAtomic(saved, ToBytes(text)));
    return LoadManifest(saved);
  }
  std::filesystem::path path(text);
  if (path.is_relative())
    return Status::Error("manifest `" + text + "`: give an absolute path (the server's working directory is " +
                         std::filesystem::current_path().string() + ")");
  return LoadManifest(path);
}

// Polls until `done()` or the deadline, on the connection's network thread, then replies.
// Replies once `done()` holds, or at `deadline`. `done` is checked again each time the
// actor changes (Actor::WhenChanged: it finished, or runs again) — so a stop is answered
// as soon as the actor is down and its chain written out — and every 50 ms besides.
struct Wait {
  Server& server;
  std::shared_ptr<Connection> connection;
  std::shared_ptr<Actor> actor;
  std::function<bool()> done;
  std::chrono::steady_clock::time_point deadline;
  std::function<json(bool)> reply;
  std::atomic<bool> answered{false};
  std::atomic<bool> asked{false};  // a WhenChanged callback is registered and has not run
};

void Check(const std::shared_ptr<Wait>& w) {
  if (w->answered.load()) return;
  if (w->connection->closed()) {  // nobody to reply to
    w->answered = true;
    return;
  }
  // Asked before `done` is read: a change in between is not missed.
  std::weak_ptr<Wait> weak = w;
  if (w->actor && !w->asked.exchange(true))
    w->actor->WhenChanged([weak] {
      if (auto again = weak.lock()) {
        again->asked = false;
        asio::post(again->server.executor(), [again] { Check(again); });
      }
    });
  bool done = w->done();
  if (!done && std::chrono::steady_clock::now() < w->deadline) return;
  if (!w->answered.exchange(true)) w->connection->Finish(w->reply(done));
}

void Poll(const std::shared_ptr<Wait>& w) {
  if (w->answered.load()) return;
  Check(w);
  auto timer = std::make_shared<asio::steady_timer>(w->server.executor(), std::chrono::milliseconds(50));
  timer->async_wait([w, timer](asio::error_code) { Poll(w); });
}

void WaitUntil(Server& server, std::shared_ptr<Connection> connection, std::shared_ptr<Actor> actor,
               std::function<bool()> done, std::chrono::steady_clock::time_point deadline,
               std::function<json(bool)> reply) {
  Poll(std::shared_ptr<Wait>(new Wait{server, std::move(connection), std::move(actor), std::move(done), deadline,
                                      std::move(reply)}));
}

// Commands about one actor that the node running it answers, when it is another node.
bool AnsweredByItsNode(CommandKind kind) {
  return IsActorQuery(kind) || kind == K::kStopActor || kind == K::kTerminateActor || kind == K::kRestartActor;
}

// Asks the node that runs actor c.id (docs/cluster.md). Its response has bytes in base64;
// this client may want arrays.
json AskItsNode(cluster::ClusterNode& cluster, const Connection& connection, const Command& c) {
  std::chrono::milliseconds timeout(5000);
  if (c.kind == K::kStopActor || c.kind == K::kTerminateActor || c.kind == K::kRestartActor) timeout = std::chrono::seconds(12);
  if (c.kind == K::kReplayActor) timeout = std::chrono::minutes(5);
  auto response = cluster.AskActor(c.id, CommandToJson(c), timeout);
  if (!response.ok()) return ActorError(response.status());
  if (!connection.bytes_base64() && response->is_object() && response->size() == 1) {
    json& body = response->begin().value();
    if (body.is_object() && body.contains("state") && !body["state"].is_null())
      if (auto bytes = BytesFromJson(body["state"]); bytes.ok()) body["state"] = BytesToArray(*bytes);
  }
  return *response;
}

// Every node's actors, each summary with its node; this node's alone if NATS is away.
json ListCluster(Server& server) {
  json actors = json::array();
  auto lists = server.cluster()->ListAll();
  bool self_answered = false;
  for (const json& list : lists) self_answered |= list.value("node", "") == server.cluster()->name();
  if (!self_answered) lists.push_back({{"node", server.cluster()->name()}, {"actors", ActorSummariesJson(server.system())}});
  std::sort(lists.begin(), lists.end(), [](const json& a, const json& b) { return a.value("node", "") < b.value("node", ""); });
  for (json& list : lists) {
    std::string node = list.value("node", "");
    if (!list.contains("actors") || !list["actors"].is_array()) continue;
    for (json& a : list["actors"]) {
      a["node"] = node;
      actors.push_back(std::move(a));
    }
  }
  return actors;
}

json ClusterJson(cluster::ClusterNode& cluster) {
  json nodes = json::array();
  for (const cluster::NodeInfo& n : cluster.Nodes())
    nodes.push_back({{"name", n.name}, {"alive", n.alive}, {"last_seen_ms", n.last_seen_ms}, {"actors", n.actors}});
  return {{"node", cluster.name()}, {"nats", cluster.url()}, {"connected", cluster.connected()},
          {"nodes", std::move(nodes)}, {"refused", cluster.refused()},
          {"waiting", cluster.waiting()}, {"credits", cluster.credits()}};
}

}  // namespace

json StartActorHere(Server& server, const Command& c) {
  auto manifest = ManifestFrom(c.manifest, server.options().data_dir);
  if (!manifest.ok()) return Error(error_kind::kActorError, manifest.error());
  auto id = server.system().Spawn(std::move(*manifest), c.data);
  if (!id.ok()) return Error(error_kind::kActorError, id.error());
  return Response("ActorStarted", {{"id", *id}});
}

namespace {

// The handlers, one per command (or group of commands answered alike). Each ends by
// calling connection->Finish(), at once or later.
void Authenticate(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  return finish(Response("Authenticated", json::object()));
}

void SetBytesEncoding(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  connection->SetBytesBase64(c.bytes_base64);
  return finish(Response("BytesEncoding", {{"encoding", c.bytes_base64 ? "base64" : "array"}}));
}

void GetServerInfo(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  ServerStats stats = server.Stats();
  size_t live = 0, events = 0;
  for (const ActorInfo& info : system.List(/*with_state=*/false)) {
    live += info.status == ActorStatus::kRunning || info.status == ActorStatus::kStarting;
    events += info.events;
  }
  return finish(Response("ServerInfo", {{"version", stats.version},
                                        {"listen", stats.listen},
                                        {"http", stats.http.empty() ? json(nullptr) : json(stats.http)},
                                        {"events", events},
                                        {"data_dir", stats.data_dir.string()},
                                        {"started_ms", stats.started_ms},
                                        {"uptime_ms", NowMs() - stats.started_ms},
                                        {"actors", live},
                                        {"connections", stats.connections},
                                        {"revived", stats.revived},
                                        {"revive_errors", stats.revive_errors},
                                        {"cluster", server.cluster() ? ClusterJson(*server.cluster()) : json(nullptr)}}));
}

void StartActor(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  // On another node of the cluster: it reads the manifest (an inline one travels
  // whole; a path must mean the same file there).
  if (!c.node.empty() && (!server.cluster() || c.node != server.cluster()->name())) {
    if (!server.cluster()) return finish(Error(error_kind::kActorError, "node `" + c.node + "`: this server is not in a cluster"));
    if (c.subscribe || c.parent)
      return finish(Error(error_kind::kInvalidCommand, "subscribe and parent are for actors of this node; connect to node `" +
                                                           c.node + "` for them"));
    auto response = server.cluster()->StartOn(c.node, CommandToJson(c));
    if (!response.ok()) return finish(Error(error_kind::kActorError, response.error()));
    return finish(std::move(*response));
  }
  auto manifest = ManifestFrom(c.manifest, server.options().data_dir);
  if (!manifest.ok()) return finish(Error(error_kind::kActorError, manifest.error()));
  auto id = system.Spawn(std::move(*manifest), c.data);
  if (!id.ok()) return finish(Error(error_kind::kActorError, id.error()));
  json response = Response("ActorStarted", {{"id", *id}});
  if (c.subscribe || c.parent) {
    Status s = connection->Subscribe(*id, c.subscribe, c.parent, c.subscribe ? std::optional<uint64_t>(0) : std::nullopt,
                                     response, "ActorStarted");
    if (s.ok()) return connection->Finish(std::nullopt);
  }
  return finish(std::move(response));
}

// Stop, terminate and restart: answered when done, without holding a worker meanwhile.
void ControlActor(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto control = StartActorControl(server.system(), c);
  if (!control.ok()) return connection->Finish(ActorError(control.status()));
  WaitUntil(server, connection, server.system().FindActor(c.id), std::move(control->done),
            std::chrono::steady_clock::now() + kControlWait, std::move(control->answer));
}

void ListActors(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  json actors = server.cluster() ? ListCluster(server) : ActorSummariesJson(server.system());
  connection->Finish(Response("ActorList", {{"actors", std::move(actors)}}));
}

void AskQuery(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  return finish(QueryActor(server, c, connection->bytes_base64()));
}

void SubscribeToActor(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  json response = Response("Subscribed", {{"id", c.id}});
  Status s = connection->Subscribe(c.id, true, false, c.from, response, "Subscribed");
  if (!s.ok()) return finish(ActorError(s));
  return connection->Finish(std::nullopt);
}

void WatchActors(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  server.StartWatching(connection);
  return finish(Response("Watching", json::object()));
}

void UnsubscribeFromActor(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  Status s = connection->Unsubscribe(c.id, c.subscription_id);
  if (!s.ok()) return finish(Error(error_kind::kSubscriptionNotFound, s.message()));
  return finish(Response("Unsubscribed", {{"id", c.id}, {"subscription_id", c.subscription_id}}));
}

void SendActorMessage(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  if (!c.durable) {
    Status s = system.Send(c.id, c.data.value_or(Bytes()));
    if (!s.ok()) return finish(ActorError(s));
    return finish(Response("SentMessage", {{"id", c.id}}));
  }
  // Durable: answered once the message is written in the actor's chain, so that an
  // acknowledged message survives the server being killed.
  std::string id = c.id;
  Status s = system.Send(id, c.data.value_or(Bytes()), [connection, id](Status recorded) {
    if (!recorded.ok())
      return connection->Finish(Error(error_kind::kActorError, "actor " + id + ": " + recorded.message()));
    connection->Finish(Response("SentMessage", {{"id", id}, {"durable", true}}));
  });
  if (!s.ok()) return finish(ActorError(s));
  return;
}

void RequestActorMessage(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  std::optional<std::chrono::milliseconds> timeout;
  if (c.timeout_ms) timeout = std::chrono::milliseconds(*c.timeout_ms);
  std::string id = c.id;
  std::string request =
      system.RequestAsync(id, c.data.value_or(Bytes()), timeout, [connection, id](RequestResult r) {
        if (!r.ok)
          return connection->Finish(Error(r.error.rfind("no actor with id", 0) == 0 ? error_kind::kActorNotFound
                                                                                  : error_kind::kRequestFailed,
                                          r.error));
        connection->Finish(Response("RequestedMessage", {{"id", id}, {"message", connection->BytesJson(r.response)}}));
      });
  // Ended if the client goes away first (an id already answered is ignored).
  if (!request.empty()) connection->SetPendingRequest(request);
  return;
}

void OpenChannel(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  std::string endpoint = server.channels().NewParticipant(connection);
  std::string target = c.id;
  system.OpenChannelFrom(endpoint, target, c.data.value_or(Bytes()),
                         [&server, connection, endpoint, target](RequestResult r) {
                           if (!r.ok) {
                             server.channels().Drop(endpoint);
                             return connection->Finish(Error(error_kind::kChannelError, r.error));
                           }
                           std::string channel_id = ToString(r.response);
                           server.channels().Opened(channel_id, endpoint, connection);
                           connection->AdoptChannel(channel_id, endpoint);
                           connection->Finish(Response("ChannelOpened", {{"channel_id", channel_id}, {"actor_id", target}}));
                         });
  return;
}

void SendOnChannel(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  auto endpoint = server.channels().ParticipantOf(c.id);
  if (!endpoint) return finish(Error(error_kind::kChannelError, "no open channel " + c.id + " of a client"));
  Status s = system.SendOnChannelFrom(endpoint->endpoint_id, c.id, c.data.value_or(Bytes()));
  if (!s.ok()) return finish(Error(error_kind::kChannelError, s.message()));
  return finish(Response("MessageSent", {{"channel_id", c.id}}));
}

void CloseChannel(Server& server, const std::shared_ptr<Connection>& connection, Command& c) {
  ActorSystem& system = server.system();
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  auto endpoint = server.channels().ParticipantOf(c.id);
  if (!endpoint) return finish(Error(error_kind::kChannelError, "no open channel " + c.id + " of a client"));
  Status s = system.CloseChannelFrom(endpoint->endpoint_id, c.id);
  if (!s.ok()) return finish(Error(error_kind::kChannelError, s.message()));
  server.channels().Closed(c.id);
  // Closed by another client: the one that opened it is told, as if the actor had.
  if (auto owner = endpoint->owner.lock(); owner && owner != connection)
    owner->Send(Response("ChannelClosed", {{"channel_id", c.id}, {"by", "another client"}}));
  return finish(Response("ChannelClosed", {{"channel_id", c.id}, {"by", "client"}}));
}

// Every command's handler, and whether it runs on the network thread: those that only
// look at memory or hand their work to the actor system, and answer at once or later
// from a callback. The others (they read files, compile, wait) run on the handler threads.
struct CommandHandler {
  void (*run)(Server&, const std::shared_ptr<Connection>&, Command&);
  bool quick;
};

const std::map<CommandKind, CommandHandler>& CommandHandlers() {
  static const std::map<CommandKind, CommandHandler> handlers = {
      {K::kAuthenticate, {Authenticate, false}},
      {K::kSetBytesEncoding, {SetBytesEncoding, true}},
      {K::kGetServerInfo, {GetServerInfo, true}},
      {K::kStartActor, {StartActor, false}},
      {K::kStopActor, {ControlActor, false}},
      {K::kTerminateActor, {ControlActor, false}},
      {K::kRestartActor, {ControlActor, false}},
      {K::kListActors, {ListActors, false}},
      {K::kGetActorStatus, {AskQuery, true}},
      {K::kGetActorState, {AskQuery, true}},
      {K::kGetActorManifest, {AskQuery, false}},
      {K::kGetActorEvents, {AskQuery, false}},
      {K::kInspectActor, {AskQuery, false}},
      {K::kSubscribeToActor, {SubscribeToActor, false}},
      {K::kWatchActors, {WatchActors, true}},
      {K::kVerifyActor, {AskQuery, false}},
      {K::kReplayActor, {AskQuery, false}},
      {K::kFindEvent, {AskQuery, false}},
      {K::kUnsubscribeFromActor, {UnsubscribeFromActor, true}},
      {K::kSendActorMessage, {SendActorMessage, true}},
      {K::kRequestActorMessage, {RequestActorMessage, true}},
      {K::kOpenChannel, {OpenChannel, true}},
      {K::kSendOnChannel, {SendOnChannel, true}},
      {K::kCloseChannel, {CloseChannel, true}},
  };
  return handlers;
}

}  // namespace

bool RunsOnNetworkThread(CommandKind kind) {
  auto it = CommandHandlers().find(kind);
  return it != CommandHandlers().end() && it->second.quick;
}

void RunCommand(Server& server, const std::shared_ptr<Connection>& connection, Command c) {
  // An actor another node of the cluster runs: that node answers. (Messages, requests and
  // channels need nothing here: the actor system routes them.)
  if (auto* cluster = server.cluster(); cluster && AnsweredByItsNode(c.kind) && !server.system().FindActor(c.id))
    return connection->Finish(AskItsNode(*cluster, *connection, c));
  auto it = CommandHandlers().find(c.kind);
  if (it == CommandHandlers().end())
    return connection->Finish(Error(error_kind::kUnknownCommand, "command " + c.name + " is not implemented"));
  it->second.run(server, connection, c);
}

}  // namespace theater::server
