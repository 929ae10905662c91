#include "server/actor_queries.h"

#include <thread>

#include "chain/chain_image.h"
#include "common/files.h"
#include "runtime/replay.h"
#include "server/server.h"
#include "server/views.h"

namespace theater::server {

json Error(const char* kind, const std::string& message) { return ErrorResponse({kind, message}); }

json ActorError(const Status& s) {
  return Error(s.code() == StatusCode::kNotFound ? error_kind::kActorNotFound : error_kind::kActorError, s.message());
}

namespace {

using K = CommandKind;

json OptionalBytes(bool base64, const std::optional<Bytes>& b) { return b ? BytesToJson(*b, base64) : json(nullptr); }

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

}  // namespace

bool IsActorQuery(CommandKind kind) {
  switch (kind) {
    case K::kGetActorStatus:
    case K::kGetActorState:
    case K::kGetActorManifest:
    case K::kGetActorEvents:
    case K::kInspectActor:
    case K::kVerifyActor:
    case K::kReplayActor:
    case K::kFindEvent: return true;
    default: return false;
  }
}

json QueryActor(Server& server, const Command& c, bool base64) {
  ActorSystem& system = server.system();
  switch (c.kind) {
  case K::kGetActorStatus: {
    auto info = system.Info(c.id);
    if (!info.ok()) return ActorError(info.status());
    json body = {{"id", c.id}, {"status", std::string(ActorStatusName(info->status))}, {"restarts", info->restarts}};
    // Why it stopped, or (for a running actor that was restarted) its last failure.
    bool ended = info->status == ActorStatus::kStopped || info->status == ActorStatus::kFailed;
    if (ended && !info->stop_reason.empty()) body["reason"] = info->stop_reason;
    if (info->failure) body[ended ? "failure" : "last_failure"] = FailureJson(*info->failure);
    return Response("ActorStatus", std::move(body));
  }

  case K::kGetActorState: {
    auto info = system.Info(c.id);
    if (!info.ok()) return ActorError(info.status());
    return Response("ActorState", {{"id", c.id}, {"state", OptionalBytes(base64, info->state)}});
  }

  case K::kGetActorManifest: {
    auto actor = system.FindActor(c.id);
    if (!actor) return Error(error_kind::kActorNotFound, "no actor with id " + c.id);
    const Manifest& m = actor->manifest();
    auto text = ReadFile(m.file, kMaxManifestBytes);
    json handlers = json::array();
    for (const HandlerConfig& h : m.handlers) handlers.push_back(h.type);
    return Response("ActorManifest", {{"id", c.id},
                                             {"path", m.file.string()},
                                             {"name", m.name},
                                             {"version", m.version},
                                             {"component", m.component_path.string()},
                                             {"handlers", std::move(handlers)},
                                             {"manifest", text.ok() ? json(ToString(*text)) : json(nullptr)}});
  }

  case K::kGetActorEvents: {
    auto events = system.Events(c.id);
    if (!events.ok()) return ActorError(events.status());
    uint64_t from = c.from.value_or(0);
    uint64_t limit = c.limit.value_or(UINT64_MAX);
    json list = json::array();
    for (const ChainEvent& e : *events) {
      if (e.seq < from) continue;
      if (list.size() >= limit) break;
      list.push_back(EventToJson(e));
    }
    return Response("ActorEvents", {{"id", c.id}, {"total", events->size()}, {"events", std::move(list)}});
  }

  case K::kInspectActor: {
    auto info = system.Info(c.id);
    if (!info.ok()) return ActorError(info.status());
    auto events = system.Events(c.id);
    json last = json::array();
    if (events.ok())
      for (size_t i = events->size() > 10 ? events->size() - 10 : 0; i < events->size(); ++i)
        last.push_back(EventToJson((*events)[i]));
    json body = ActorSummaryJson(*info);
    body["children"] = system.ChildrenOf(c.id);
    body["state"] = OptionalBytes(base64, info->state);
    body["failure"] = info->failure ? FailureJson(*info->failure) : json(nullptr);
    // Empty while it runs: a restarted actor's last stop is history (its failure stays).
    bool ended = info->status == ActorStatus::kStopped || info->status == ActorStatus::kFailed;
    body["stop_reason"] = ended ? info->stop_reason : "";
    body["mailbox"] = info->mailbox;
    body["head"] = info->head ? json(ToHex(*info->head)) : json(nullptr);
    body["chain"] = info->chain_path.string();
    body["manifest"] = info->manifest_path.string();
    body["last_events"] = std::move(last);
    return Response("ActorInspection", std::move(body));
  }

  case K::kVerifyActor: {
    auto path = ChainFileOf(system, c.id);
    if (!path.ok()) return ActorError(path.status());
    auto image = ReadChainImage(*path);
    if (!image.ok()) return Error(error_kind::kActorError, image.error());
    VerifyOptions options;
    options.expected_actor_id = c.id;
    json body = VerificationJson(VerifyChainImage(*image, options));
    body["id"] = c.id;
    body["chain"] = path->string();
    return Response("ActorVerified", std::move(body));
  }

  case K::kReplayActor: return ReplayActor(server, c.id);

  case K::kFindEvent: {
    auto events = system.Events(c.id);
    if (!events.ok()) return ActorError(events.status());
    auto hash = FromHexArray<32>(c.hash);  // ParseCommand checked: 64 hex digits
    for (const ChainEvent& e : *events)
      if (hash && e.hash == *hash)
        return Response("EventFound", {{"id", c.id}, {"seq", e.seq}, {"event", EventToJson(e)}});
    return Error(error_kind::kActorError, "no event with hash " + c.hash + " in the chain of actor " + c.id);
  }

    default: break;
  }
  return Error(error_kind::kUnknownCommand, "command " + c.name + " is not a query about an actor");
}

Result<ActorControl> StartActorControl(ActorSystem& system, const Command& c) {
  std::string id = c.id;
  if (c.kind == K::kRestartActor) {
    auto before = system.Info(id);
    if (!before.ok()) return before.status();
    THEATER_RETURN_IF_ERROR(system.Restart(id));
    uint32_t restarts = before->restarts;
    return ActorControl{[&system, id, restarts] {
                          auto info = system.Info(id);
                          return info.ok() && info->restarts > restarts && info->status != ActorStatus::kRestarting;
                        },
                        [&system, id](bool done) {
                          if (!done) return Error(error_kind::kActorError, "actor " + id + " did not restart within " + std::to_string(kControlWait.count()) + " s");
                          auto info = system.Info(id);
                          return Response("ActorRestarted", {{"id", id},
                                                             {"status", std::string(ActorStatusName(info->status))},
                                                             {"restarts", info->restarts}});
                        }};
  }
  bool terminate = c.kind == K::kTerminateActor;
  THEATER_RETURN_IF_ERROR(terminate ? system.Terminate(id) : system.Stop(id));
  return ActorControl{[&system, id] {
                        auto actor = system.FindActor(id);
                        return !actor || actor->finished();
                      },
                      [id, terminate](bool done) {
                        if (!done)
                          return Error(error_kind::kActorError, "actor " + id + " did not stop within " + std::to_string(kControlWait.count()) + " s" +
                                                                    (terminate ? "" : "; TerminateActor ends it now"));
                        return Response(terminate ? "ActorTerminated" : "ActorStopped", {{"id", id}});
                      }};
}

json ControlActorAndWait(Server& server, const Command& c) {
  auto control = StartActorControl(server.system(), c);
  if (!control.ok()) return ActorError(control.status());
  auto deadline = std::chrono::steady_clock::now() + kControlWait;
  while (!control->done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return control->answer(control->done());
}

}  // namespace theater::server
