#include "server/handlers.h"

#include <atomic>

#include <asio.hpp>
#include <toml++/toml.h>

#include "chain/chain_image.h"
#include "chain/snapshot_file.h"
#include "common/files.h"
#include "common/sha256.h"
#include "runtime/replay.h"
#include "manifest/manifest.h"
#include "server/channel_registry.h"
#include "server/connection.h"
#include "server/views.h"
#include "runtime/actor_context.h"
#include "server/server.h"

namespace theater::server {
namespace {

using K = CommandKind;

json Error(const char* kind, const std::string& message) { return ErrorResponse({kind, message}); }

// "no actor with id ..." is ActorNotFound; anything else the actor system refuses is ActorError.
json ActorError(const Status& s) {
  bool missing = s.message().rfind("no actor with id", 0) == 0;
  return Error(missing ? error_kind::kActorNotFound : error_kind::kActorError, s.message());
}

json OptionalBytes(const Connection& c, const std::optional<Bytes>& b) { return b ? c.BytesJson(*b) : json(nullptr); }


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

// The chain file of actor `id`, or why there is none ("no actor with id …" is ActorNotFound).
Result<std::filesystem::path> ChainFileOf(ActorSystem& system, const std::string& id) {
  auto info = system.Info(id);
  if (!info.ok()) return info.status();
  if (info->chain_path.empty()) return Status::Error("actor " + id + " keeps no chain file");
  return info->chain_path;
}

// Replays an actor's chain against its recorded component (runtime/replay.h): the chain as
// written so far, verified first, its states from its snapshot file. One replay at a time
// in the server: each runs a fresh instance of the component through the whole chain.
json ReplayActor(Server& server, const std::string& id) {
  static std::atomic<bool> running{false};
  if (running.exchange(true)) return Error(error_kind::kBusy, "another replay is running; try again when it ends");
  struct Done {
    ~Done() { running = false; }
  } done;
  auto path = ChainFileOf(server.system(), id);
  if (!path.ok()) return ActorError(path.status());
  auto chain = ReadVerifiedChain(*path, id);
  if (!chain.ok()) return Error(error_kind::kActorError, chain.error());
  ReplayOptions options;
  options.cache_dir = server.options().data_dir / "cache" / "components";
  options.snapshots = chain->snapshots.get();
  ReplayReport r = Replay(chain->events, options);
  if (!r.error.empty()) return Error(error_kind::kActorError, r.error);
  auto event = [](const std::optional<ChainEvent>& e) -> json { return e ? EventToJson(*e) : json(nullptr); };
  json divergence = nullptr;
  if (r.divergence)
    divergence = {{"seq", r.divergence->seq}, {"why", r.divergence->why},
                  {"recorded", event(r.divergence->recorded)}, {"replayed", event(r.divergence->replayed)}};
  return Response("ActorReplayed", {{"id", id},
                                    {"identical", r.identical},
                                    {"events", r.events},
                                    {"head", r.head ? json(ToHex(*r.head)) : json(nullptr)},
                                    {"component_sha256", r.component_sha256},
                                    {"same_component", r.same_component},
                                    {"seconds", r.seconds},
                                    {"recorded_seconds", r.recorded_seconds},
                                    {"divergence", std::move(divergence)}});
}

bool Finished(ActorSystem& system, const std::string& id) {
  auto actor = system.FindActor(id);
  return !actor || actor->finished();
}

}  // namespace

void RunCommand(Server& server, const std::shared_ptr<Connection>& connection, Command c) {
  ActorSystem& system = server.system();
  auto finish = [&](json response) { connection->Finish(std::move(response)); };
  const auto stop_wait = std::chrono::steady_clock::now() + std::chrono::seconds(10);

  switch (c.kind) {
    case K::kAuthenticate: return finish(Response("Authenticated", json::object()));
    case K::kSetBytesEncoding:
      connection->SetBytesBase64(c.bytes_base64);
      return finish(Response("BytesEncoding", {{"encoding", c.bytes_base64 ? "base64" : "array"}}));

    case K::kGetServerInfo: {
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
                                            {"revive_errors", stats.revive_errors}}));
    }

    case K::kStartActor: {
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

    case K::kStopActor:
    case K::kTerminateActor: {
      bool terminate = c.kind == K::kTerminateActor;
      Status s = terminate ? system.Terminate(c.id) : system.Stop(c.id);
      if (!s.ok()) return finish(ActorError(s));
      std::string id = c.id;
      return WaitUntil(server, connection, system.FindActor(id), [&system, id] { return Finished(system, id); }, stop_wait,
                       [id, terminate](bool done) {
                         if (!done)
                           return Error(error_kind::kActorError, "actor " + id + " did not stop within 10 s" +
                                                                     (terminate ? "" : "; TerminateActor ends it now"));
                         return Response(terminate ? "ActorTerminated" : "ActorStopped", {{"id", id}});
                       });
    }

    case K::kRestartActor: {
      auto before = system.Info(c.id);
      if (!before.ok()) return finish(ActorError(before.status()));
      if (Status s = system.Restart(c.id); !s.ok()) return finish(ActorError(s));
      std::string id = c.id;
      uint32_t restarts = before->restarts;
      auto restarted = [&system, id, restarts] {
        auto info = system.Info(id);
        return info.ok() && info->restarts > restarts && info->status != ActorStatus::kRestarting;
      };
      return WaitUntil(server, connection, system.FindActor(id), restarted, stop_wait, [&system, id](bool done) {
        if (!done) return Error(error_kind::kActorError, "actor " + id + " did not restart within 10 s");
        auto info = system.Info(id);
        return Response("ActorRestarted", {{"id", id}, {"status", std::string(ActorStatusName(info->status))},
                                           {"restarts", info->restarts}});
      });
    }

    case K::kListActors: {
      json actors = json::array();
      for (const ActorInfo& info : system.List(/*with_state=*/false)) actors.push_back(ActorSummaryJson(info));
      return finish(Response("ActorList", {{"actors", std::move(actors)}}));
    }

    case K::kGetActorStatus: {
      auto info = system.Info(c.id);
      if (!info.ok()) return finish(ActorError(info.status()));
      json body = {{"id", c.id}, {"status", std::string(ActorStatusName(info->status))}, {"restarts", info->restarts}};
      // Why it stopped, or (for a running actor that was restarted) its last failure.
      bool ended = info->status == ActorStatus::kStopped || info->status == ActorStatus::kFailed;
      if (ended && !info->stop_reason.empty()) body["reason"] = info->stop_reason;
      if (info->failure) body[ended ? "failure" : "last_failure"] = FailureJson(*info->failure);
      return finish(Response("ActorStatus", std::move(body)));
    }

    case K::kGetActorState: {
      auto info = system.Info(c.id);
      if (!info.ok()) return finish(ActorError(info.status()));
      return finish(Response("ActorState", {{"id", c.id}, {"state", OptionalBytes(*connection, info->state)}}));
    }

    case K::kGetActorManifest: {
      auto actor = system.FindActor(c.id);
      if (!actor) return finish(Error(error_kind::kActorNotFound, "no actor with id " + c.id));
      const Manifest& m = actor->manifest();
      auto text = ReadFile(m.file, kMaxManifestBytes);
      json handlers = json::array();
      for (const HandlerConfig& h : m.handlers) handlers.push_back(h.type);
      return finish(Response("ActorManifest", {{"id", c.id},
                                               {"path", m.file.string()},
                                               {"name", m.name},
                                               {"version", m.version},
                                               {"component", m.component_path.string()},
                                               {"handlers", std::move(handlers)},
                                               {"manifest", text.ok() ? json(ToString(*text)) : json(nullptr)}}));
    }

    case K::kGetActorEvents: {
      auto events = system.Events(c.id);
      if (!events.ok()) return finish(ActorError(events.status()));
      uint64_t from = c.from.value_or(0);
      uint64_t limit = c.limit.value_or(UINT64_MAX);
      json list = json::array();
      for (const ChainEvent& e : *events) {
        if (e.seq < from) continue;
        if (list.size() >= limit) break;
        list.push_back(EventToJson(e));
      }
      return finish(Response("ActorEvents", {{"id", c.id}, {"total", events->size()}, {"events", std::move(list)}}));
    }

    case K::kInspectActor: {
      auto info = system.Info(c.id);
      if (!info.ok()) return finish(ActorError(info.status()));
      auto events = system.Events(c.id);
      json last = json::array();
      if (events.ok())
        for (size_t i = events->size() > 10 ? events->size() - 10 : 0; i < events->size(); ++i)
          last.push_back(EventToJson((*events)[i]));
      json body = ActorSummaryJson(*info);
      body["children"] = system.ChildrenOf(c.id);
      body["state"] = OptionalBytes(*connection, info->state);
      body["failure"] = info->failure ? FailureJson(*info->failure) : json(nullptr);
      // Empty while it runs: a restarted actor's last stop is history (its failure stays).
      bool ended = info->status == ActorStatus::kStopped || info->status == ActorStatus::kFailed;
      body["stop_reason"] = ended ? info->stop_reason : "";
      body["mailbox"] = info->mailbox;
      body["head"] = info->head ? json(ToHex(*info->head)) : json(nullptr);
      body["chain"] = info->chain_path.string();
      body["manifest"] = info->manifest_path.string();
      body["last_events"] = std::move(last);
      return finish(Response("ActorInspection", std::move(body)));
    }

    case K::kSubscribeToActor: {
      json response = Response("Subscribed", {{"id", c.id}});
      Status s = connection->Subscribe(c.id, true, false, c.from, response, "Subscribed");
      if (!s.ok()) return finish(ActorError(s));
      return connection->Finish(std::nullopt);
    }

    case K::kWatchActors:
      server.StartWatching(connection);
      return finish(Response("Watching", json::object()));

    case K::kVerifyActor: {
      auto path = ChainFileOf(system, c.id);
      if (!path.ok()) return finish(ActorError(path.status()));
      auto image = ReadChainImage(*path);
      if (!image.ok()) return finish(Error(error_kind::kActorError, image.error()));
      VerifyOptions options;
      options.expected_actor_id = c.id;
      json body = VerificationJson(VerifyChainImage(*image, options));
      body["id"] = c.id;
      body["chain"] = path->string();
      return finish(Response("ActorVerified", std::move(body)));
    }

    case K::kReplayActor: return finish(ReplayActor(server, c.id));

    case K::kFindEvent: {
      auto events = system.Events(c.id);
      if (!events.ok()) return finish(ActorError(events.status()));
      auto hash = FromHexArray<32>(c.hash);  // ParseCommand checked: 64 hex digits
      for (const ChainEvent& e : *events)
        if (hash && e.hash == *hash)
          return finish(Response("EventFound", {{"id", c.id}, {"seq", e.seq}, {"event", EventToJson(e)}}));
      return finish(Error(error_kind::kActorError, "no event with hash " + c.hash + " in the chain of actor " + c.id));
    }

    case K::kUnsubscribeFromActor: {
      Status s = connection->Unsubscribe(c.id, c.subscription_id);
      if (!s.ok()) return finish(Error(error_kind::kSubscriptionNotFound, s.message()));
      return finish(Response("Unsubscribed", {{"id", c.id}, {"subscription_id", c.subscription_id}}));
    }

    case K::kSendActorMessage: {
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

    case K::kRequestActorMessage: {
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

    case K::kOpenChannel: {
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

    case K::kSendOnChannel: {
      auto endpoint = server.channels().ParticipantOf(c.id);
      if (!endpoint) return finish(Error(error_kind::kChannelError, "no open channel " + c.id + " of a client"));
      Status s = system.SendOnChannelFrom(endpoint->endpoint_id, c.id, c.data.value_or(Bytes()));
      if (!s.ok()) return finish(Error(error_kind::kChannelError, s.message()));
      return finish(Response("MessageSent", {{"channel_id", c.id}}));
    }

    case K::kCloseChannel: {
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
  }
  finish(Error(error_kind::kUnknownCommand, "command " + c.name + " is not implemented"));
}

}  // namespace theater::server
