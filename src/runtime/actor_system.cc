#include "runtime/actor_system.h"

#include "chain/snapshot_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/files.h"
#include "common/uuid.h"
#include "runtime/contract.h"

namespace theater {
namespace {

// Every import must be a theater:simple interface that the manifest grants and that this
// runtime provides; otherwise the actor does not start, with a message saying which.
Status CheckImports(const Component& component, const Permissions& permissions, const Engine& engine) {
  for (const std::string& import : component.imports()) {
    auto handler = contract::HandlerForInterface(import);
    if (!handler)
      return Status::Error("the component imports `" + import +
                           "`, which is not part of theater:simple and is not provided by Theater");
    if (handler->empty()) continue;  // types only
    if (!permissions.Allows(*handler))
      return Status::Error("the component imports `" + import + "` but the manifest grants no `" + *handler +
                           "` handler (add [[handler]] type = \"" + *handler + "\")");
    if (*handler == "wasi") continue;  // linked into every engine (engine/wasi.h)
    if (!engine.Provides(import))
      return Status::Error("the component imports `" + import + "` (handler `" + *handler +
                           "`), which this version of Theater does not implement yet");
  }
  return Status::Ok();
}

// Memory mappings an actor may need: its memory (2), its instance (2-3), a fiber stack
// while it waits (2), and a margin.
constexpr size_t kMappingsPerActor = 8;
constexpr size_t kMappingsForTheRest = 20000;  // code, libraries, threads, malloc

size_t DefaultMaxActors() {
  size_t max_map_count = 65530;
  if (auto text = ReadFile("/proc/sys/vm/max_map_count"); text.ok())
    max_map_count = std::strtoull(ToString(*text).c_str(), nullptr, 10);
  if (max_map_count <= kMappingsForTheRest) return 100;
  return (max_map_count - kMappingsForTheRest) / kMappingsPerActor;
}

}  // namespace

ActorSystem::ActorSystem(std::shared_ptr<Engine> engine, SystemOptions options)
    : engine_(std::move(engine)), options_(std::move(options)) {}

Result<std::unique_ptr<ActorSystem>> ActorSystem::Create(std::shared_ptr<Engine> engine, SystemOptions options) {
  std::unique_ptr<ActorSystem> system(new ActorSystem(std::move(engine), std::move(options)));
  if (!system->options_.chain_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(system->options_.chain_dir, ec);
    if (ec) return Status::Error(system->options_.chain_dir.string() + ": " + ec.message());
    system->chain_store_ = std::make_unique<ChainStore>(system->options_.chain_dir, system->options_.chain_store);
  }
  system->requests_ = std::make_unique<RequestTable>();
  system->timers_ = std::make_unique<TimerQueue>();
  size_t max_actors = system->options_.max_actors ? system->options_.max_actors : DefaultMaxActors();
  size_t operator_reserve =
      system->options_.operator_reserve ? system->options_.operator_reserve : std::max<size_t>(16, max_actors / 32);
  system->slots_ = std::make_unique<ActorSlots>(max_actors, std::min(operator_reserve, max_actors / 2),
                                                system->options_.max_tree_actors);
  size_t workers = system->options_.workers ? system->options_.workers : std::thread::hardware_concurrency();
  Engine* preempted = system->engine_.get();
  system->scheduler_ = std::make_unique<Scheduler>(
      workers, [](const std::shared_ptr<Actor>& actor) { return actor->RunSlice(); },
      [preempted] { preempted->Preempt(); });
  return system;
}

ActorSystem::~ActorSystem() {
  Shutdown();
  if (!temp_data_dir_.empty()) {
    content_store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(temp_data_dir_, ec);
  }
}

Result<ContentStore*> ActorSystem::content_store() {
  std::lock_guard lock(content_store_mu_);
  if (content_store_) return content_store_.get();
  std::filesystem::path dir = options_.data_dir;
  if (dir.empty()) {
    if (temp_data_dir_.empty()) {
      std::string pattern = (std::filesystem::temp_directory_path() / "theater-data-XXXXXX").string();
      if (!mkdtemp(pattern.data())) return Status::Error("cannot create a temporary data directory: " + std::string(std::strerror(errno)));
      temp_data_dir_ = pattern;
    }
    dir = temp_data_dir_;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error(dir.string() + ": " + ec.message());
  auto opened = ContentStore::Open(dir / "store.db");
  if (!opened.ok()) return opened.status();
  content_store_ = std::move(*opened);
  return content_store_.get();
}

std::shared_ptr<Actor> ActorSystem::Find(const std::string& id) { return actors_.Find(id); }

Result<std::string> ActorSystem::Spawn(Manifest manifest, std::optional<Bytes> initial_state) {
  Permissions permissions = Permissions::FromManifest(manifest);
  return SpawnActor(std::move(manifest), std::move(permissions), "", std::move(initial_state), true);
}

Result<std::string> ActorSystem::Resume(Manifest manifest, std::optional<Bytes> state) {
  Permissions permissions = Permissions::FromManifest(manifest);
  return SpawnActor(std::move(manifest), std::move(permissions), "", std::move(state), false);
}

Result<std::string> ActorSystem::SpawnChild(const std::string& parent_id, Manifest manifest,
                                            std::optional<Bytes> initial_state, bool call_init) {
  auto permissions = ChildPermissions(parent_id, manifest);
  if (!permissions.ok()) return permissions.status();
  size_t limit = RestartPolicy::FromSettings(*Find(parent_id)->permissions().Settings("supervisor")).max_children;
  if (ChildrenOf(parent_id).size() >= limit)
    return Status::Error("too many children: this actor already has " + std::to_string(limit) +
                         " (max_children of its supervisor handler)");
  if (!manifest.node.empty() && (!router_ || manifest.node != router_->node_name())) {
    if (!router_) return Status::Error(manifest.file.string() + ": node `" + manifest.node + "`: this server is not in a cluster");
    auto id = router_->SpawnChild(manifest.node, parent_id, manifest, *permissions, std::move(initial_state), call_init);
    if (!id.ok()) return id.status();
    tree_.AddChild(parent_id, *id);
    return *id;
  }
  return SpawnActor(std::move(manifest), std::move(*permissions), parent_id, std::move(initial_state), call_init);
}

Result<std::string> ActorSystem::SpawnForRemoteParent(const std::string& parent, Manifest manifest,
                                                      Permissions permissions, std::optional<Bytes> initial_state,
                                                      bool call_init) {
  if (!router_) return Status::Error("this server is not in a cluster");
  if (Find(parent)) return Status::Error("actor " + parent + " runs on this node");
  return SpawnActor(std::move(manifest), std::move(permissions), parent, std::move(initial_state), call_init);
}

Result<Permissions> ActorSystem::ChildPermissions(const std::string& parent_id, const Manifest& manifest) {
  auto parent = Find(parent_id);
  if (!parent) return NoSuchActor(parent_id);
  if (!parent->permissions().Settings("supervisor"))
    return Status::Error("actor " + parent_id + " has no supervisor handler");
  auto permissions = Permissions::ForChild(parent->permissions(), parent->manifest().permission_policies, manifest);
  if (!permissions.ok()) return Status::Error(manifest.file.string() + ": " + permissions.error());
  return std::move(*permissions);
}

Result<std::string> ActorSystem::SpawnActor(Manifest manifest, Permissions permissions, const std::string& parent,
                                            std::optional<Bytes> initial_state, bool call_init,
                                            std::optional<Revival> revival) {
  if (shutting_down_) return Status::Error("the actor system is shutting down");
  // Its chain names the state by a snapshot, and a snapshot holds at most this much.
  if (initial_state && initial_state->size() > kMaxSnapshotBytes)
    return Status::Error("the initial state of " + std::to_string(initial_state->size()) +
                         " bytes is larger than a state may be (" + std::to_string(kMaxSnapshotBytes) + " bytes)");
  Result<std::shared_ptr<const Component>> component = Status::Error("");
  if (manifest.component_path.empty()) {  // a store:// reference
    auto store = content_store();
    if (!store.ok()) return Status::Error(manifest.file.string() + ": field `component`: " + store.error());
    auto bytes = (*store)->Read(manifest.component);
    if (!bytes.ok()) return Status::Error(manifest.file.string() + ": field `component`: " + bytes.error());
    component = engine_->LoadComponent(*bytes);
  } else if (manifest.component_bytes) {  // named by an actor: the bytes it was checked with
    component = engine_->LoadComponent(*manifest.component_bytes);
    manifest.component_bytes.reset();  // compiled now; the actor need not keep them
  } else {
    component = engine_->LoadComponentFile(manifest.component_path);
  }
  if (!component.ok()) {
    // An engine error may quote the bytes it could not parse (a magic number, a line of
    // text): an actor must not read files that way.
    if (manifest.named_by_actor)
      return Status::Error(manifest.file.string() + ": field `component`: " + manifest.component +
                           " is not a valid WebAssembly component (the engine's details are withheld: the file "
                           "was named by an actor)");
    return component.status();
  }
  THEATER_RETURN_IF_ERROR(CheckImports(**component, permissions, *engine_).WithContext(manifest.file.string()));
  // An import of the wrong type is refused now, naming it, not when the actor first runs.
  THEATER_RETURN_IF_ERROR(engine_->CheckImportSignatures(**component).WithContext(manifest.file.string()));

  std::string id = revival ? revival->id : NewUuidV4();
  std::string root = id;
  if (!parent.empty()) {
    auto p = Find(parent);
    // A parent on another node: the child is a tree of its own on this node.
    if (!p && !router_) return NoSuchActor(parent);
    if (p) root = p->tree_root();
  }
  THEATER_RETURN_IF_ERROR(slots_->Take(root, !parent.empty()));
  std::shared_ptr<ChainStore::Sink> sink;
  // A revived actor's chain file goes on (its Merkle tree and checkpoints too).
  if (chain_store_ && manifest.save_chain) sink = chain_store_->Open(id, /*append=*/revival.has_value());
  // A revived actor resumes with the state it is given, even none.
  std::optional<Bytes> state = initial_state || revival ? std::move(initial_state) : manifest.init_state;
  auto actor = std::make_shared<Actor>(this, id, parent, root, std::move(manifest), std::move(permissions),
                                       *component, std::move(sink), options_.log_sink);
  if (revival) {
    if (Status s = actor->RestoreChain(std::move(revival->events)); !s.ok()) {
      slots_->Release(root);
      return Status::Error("the chain of actor " + id + " cannot go on: " + s.message());
    }
  }
  if (!actors_.Add(id, actor)) {
    slots_->Release(root);
    return Status::Error("actor " + id + " already exists");
  }
  if (!parent.empty()) {
    tree_.AddChild(parent, id);
  }
  // Announced before it runs: a failure to start is heard of after its start.
  if (revival) {
    NotifyLifecycle(LifecycleEvent::Kind::kRevived, *actor, StopOrigin::kOutside, revival->reason);
    actor->Revive(engine_, std::move(state), revival->reason);
  } else {
    NotifyLifecycle(LifecycleEvent::Kind::kStarted, *actor);
    actor->Start(engine_, std::move(state), call_init, std::nullopt);
  }
  return id;
}

Status ActorSystem::Stop(const std::string& id) {
  auto actor = Find(id);
  if (!actor) return NoSuchActor(id);
  StopTree(actor, StopOrigin::kOutside);
  return Status::Ok();
}

Status ActorSystem::Terminate(const std::string& id) {
  auto actor = Find(id);
  if (!actor) return NoSuchActor(id);
  TerminateTree(actor, StopOrigin::kOutside);
  return Status::Ok();
}

Result<ActorInfo> ActorSystem::Info(const std::string& id) {
  auto actor = Find(id);
  if (!actor) return NoSuchActor(id);
  return actor->Info();
}

std::vector<ActorInfo> ActorSystem::List(bool with_state) {
  std::vector<std::shared_ptr<Actor>> actors = actors_.All();
  std::vector<ActorInfo> infos;
  infos.reserve(actors.size());
  for (const auto& a : actors) infos.push_back(a->Info(with_state));
  return infos;
}

Result<std::vector<ChainEvent>> ActorSystem::Events(const std::string& id) {
  auto actor = Find(id);
  if (!actor) return NoSuchActor(id);
  return actor->Events();
}

Result<std::shared_ptr<const SnapshotSource>> ActorSystem::Snapshots(const std::string& id) {
  auto actor = Find(id);
  if (!actor) return NoSuchActor(id);
  return actor->Snapshots();
}

Result<MailboxSlot> ActorSystem::Reserve(const std::string& to, size_t message_bytes) {
  auto actor = Find(to);
  if (!actor && router_ && message_bytes <= options_.max_message_bytes) {
    auto remote = router_->Reserve(to, message_bytes);
    if (!remote.ok()) return remote.status();
    return MailboxSlot(std::move(*remote));
  }
  return ReserveIn(std::move(actor), to, message_bytes);
}

Result<MailboxSlot> ActorSystem::ReserveLocal(const std::string& to, size_t message_bytes) {
  return ReserveIn(Find(to), to, message_bytes);
}

Result<MailboxSlot> ActorSystem::ReserveIn(std::shared_ptr<Actor> actor, const std::string& to, size_t message_bytes) {
  if (message_bytes > options_.max_message_bytes)
    return Status::Error("message of " + std::to_string(message_bytes) + " bytes is larger than the limit of " +
                         std::to_string(options_.max_message_bytes) + " bytes");
  if (!actor) return NoSuchActor(to);
  if (!actor->Exports(contract::kMessageClient))
    return Status::Error("actor " + to + " does not take messages (it exports no " +
                         std::string(contract::kMessageClient) + ")");
  THEATER_RETURN_IF_ERROR(actor->Reserve(options_.mailbox_capacity));
  return MailboxSlot(std::move(actor));
}

Status ActorSystem::Send(const std::string& to, Bytes message, RecordedAck::Done recorded) {
  auto slot = Reserve(to, message.size());
  if (!slot.ok()) return slot.status();
  Envelope envelope{Envelope::Kind::kSend, std::move(message), "", std::nullopt};
  if (recorded) envelope.recorded = std::make_shared<RecordedAck>(std::move(recorded));
  slot->Commit(std::move(envelope));
  return Status::Ok();
}

std::future<RequestResult> ActorSystem::Request(const std::string& to, Bytes message,
                                                std::optional<std::chrono::milliseconds> timeout) {
  auto promise = std::make_shared<std::promise<RequestResult>>();
  std::future<RequestResult> future = promise->get_future();
  RequestAsync(to, std::move(message), timeout, [promise](RequestResult r) { promise->set_value(std::move(r)); });
  return future;
}

std::string ActorSystem::RequestAsync(const std::string& to, Bytes message,
                                      std::optional<std::chrono::milliseconds> timeout, RequestTable::Completion done) {
  auto slot = Reserve(to, message.size());
  if (!slot.ok()) {
    done(RequestResult::Error(slot.error()));
    return "";
  }
  std::string id = NewUuidV4();
  requests_->Add(id, "", to, timeout.value_or(options_.request_timeout), std::move(done));
  slot->Commit(Envelope{Envelope::Kind::kRequest, std::move(message), id, std::nullopt});
  return id;
}

void ActorSystem::CancelRequest(const std::string& request_id, const std::string& why) {
  requests_->Complete(request_id, RequestResult::Error(why));
}

Status ActorSystem::EnterWait(const std::string& from, const std::string& to) { return waits_.Enter(from, to); }

void ActorSystem::LeaveWait(const std::string& from) { waits_.Leave(from); }

void ActorSystem::AnswerChannelOpen(const std::string& channel_id, const std::string& target, bool accepted,
                                    const std::optional<Bytes>& message, std::optional<Cause> cause) {
  auto channel = channels_.Get(channel_id);
  if (!channel) return;
  if (!accepted) {
    channels_.Remove(channel_id);
    std::string why = "channel rejected by " + target;
    if (message && IsValidUtf8(*message) && !message->empty()) why += ": " + ToString(*message);
    requests_->Complete(channel_id, RequestResult::Error(why, std::move(cause)));
    return;
  }
  channels_.Accept(channel_id);
  // The target's welcome message reaches the opener as the channel's first message. It is
  // queued before the open completes, so that nothing the opener does once it knows of the
  // channel (closing it at once, say) can overtake it.
  const std::string& opener = channel->participants.front();
  if (message)
    if (auto slot = ReserveParticipant(opener, message->size()); slot.ok())
      slot->Commit(Envelope{Envelope::Kind::kChannelMessage, *message, channel_id, cause});
  if (!requests_->Complete(channel_id, RequestResult::Response(ToBytes(channel_id), std::move(cause)))) {
    // The opener is gone (stopped, or it gave up): the channel has no one at the other end.
    channels_.Remove(channel_id);
  }
}

void ActorSystem::Schedule(std::shared_ptr<Actor> actor) {
  if (shut_down_.load() || !scheduler_) return;
  scheduler_->Push(std::move(actor));
}

void ActorSystem::NotifyFailure(const std::string& id, const Failure& failure) {
  if (options_.on_failure) options_.on_failure(id, failure);
}

void ActorSystem::NotifyFinished(const std::string& id, const std::string& reason) {
  if (options_.on_finished) options_.on_finished(id, reason);
}

void ActorSystem::NotifyLifecycle(LifecycleEvent::Kind kind, const Actor& actor, StopOrigin origin, std::string reason,
                                  bool failed) {
  if (!options_.on_lifecycle) return;
  options_.on_lifecycle(
      LifecycleEvent{kind, actor.id(), actor.parent(), actor.manifest().file, origin, std::move(reason), failed});
}

bool ActorSystem::WaitIdle(std::chrono::milliseconds timeout) {
  return scheduler_ ? scheduler_->WaitIdle(timeout) : true;
}

void ActorSystem::Shutdown() {
  if (shutting_down_.exchange(true) || !scheduler_) return;
  std::vector<std::shared_ptr<Actor>> actors = actors_.All();
  // Supervisors stop their children first.
  for (auto& a : actors)
    if (a->parent().empty()) StopTree(a, StopOrigin::kShutdown);
  // Give running and waiting turns a moment to end; then end them.
  auto all_finished = [&] {
    for (auto& a : actors)
      if (!a->finished()) return false;
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!all_finished() && std::chrono::steady_clock::now() < deadline) scheduler_->WaitIdle(std::chrono::milliseconds(20));
  for (auto& a : actors)
    if (!a->finished()) a->RequestTermination(StopOrigin::kShutdown);
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!all_finished() && std::chrono::steady_clock::now() < deadline) scheduler_->WaitIdle(std::chrono::milliseconds(20));
  shut_down_ = true;
  timers_.reset();     // no more restarts
  scheduler_.reset();  // joins the workers
  requests_.reset();   // ends whatever is left
  if (chain_store_) chain_store_->FlushAll();
}

}  // namespace theater
