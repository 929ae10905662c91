// ActorSystem: many sandboxed actors in one process. It owns the registry (actor id =
// UUID v4), the worker pool, the requests and channels in flight, and the chain files.
// This is the library API that the CLI, the server and the tests drive: start an actor
// from a manifest, send it messages, ask it questions, stop or terminate it, and read its
// state, status and chain.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <deque>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/actor_slots.h"
#include "runtime/channels.h"
#include "runtime/outside.h"
#include "runtime/requests.h"
#include "runtime/restart_policy.h"
#include "runtime/host_services.h"
#include "runtime/message_router.h"
#include "runtime/observer_table.h"
#include "runtime/registry.h"
#include "runtime/router.h"
#include "runtime/scheduler.h"
#include "runtime/supervision_tree.h"
#include "runtime/timer_queue.h"
#include "runtime/wait_graph.h"
#include "storage/chain_store.h"
#include "storage/content_store.h"

namespace theater {

// Every change in an actor's life, for whoever keeps records of actors (the server).
struct LifecycleEvent {
  enum class Kind {
    kStarted,    // Spawn, Resume, SpawnChild: before its first event is recorded
    kRevived,    // Revive
    kRestarted,  // its supervisor's restart policy (or an operator) started it again
    kFinished,   // it stopped or failed; kRestarted may follow (origin kRestart, or a failure)
  };
  Kind kind = Kind::kStarted;
  std::string id;
  std::string parent;               // empty for actors started from outside
  std::filesystem::path manifest;   // the manifest's path, as loaded
  // kFinished: who stopped it. kShutdown when the actor system is shutting down, for the
  // children of the actors it stops too: such an actor was still running.
  StopOrigin origin = StopOrigin::kOutside;
  std::string reason;               // kFinished: the stop reason; kRevived, kRestarted: why
  bool failed = false;              // kFinished: it failed
};

struct SystemOptions {
  // Chains go to <chain_dir>/<actor-id>.chain; empty: chains stay in memory.
  std::filesystem::path chain_dir;
  ChainStore::Options chain_store;      // durability (sync), checkpoints and their key
  // The data directory: host interfaces keep what they own under it (the content store,
  // actors' private directories). Empty: they use a temporary directory of their own.
  std::filesystem::path data_dir;
  size_t workers = 0;                   // 0: one per core
  size_t mailbox_capacity = 1024;       // messages waiting per actor; a full mailbox refuses
  size_t max_message_bytes = 1 << 20;   // larger messages are refused
  std::chrono::milliseconds request_timeout{5000};
  // Live actors at most; 0: derived from the kernel's vm.max_map_count (each actor needs
  // a few memory mappings, and a process that runs out of them cannot even allocate).
  size_t max_actors = 0;
  // Actors started by other actors (supervisor.spawn) leave this many places of max_actors
  // free, so that an operator can still start (and stop) actors when a tree has spawned
  // all it could; 0: max_actors / 32, at least 16.
  size_t operator_reserve = 0;
  // Live actors in one supervision tree (a top-level actor and all its descendants) at
  // most: a spawn bomb fills its own tree, not the process.
  size_t max_tree_actors = 4096;
  ActorContext::LogSink log_sink;                                         // runtime.log lines
  std::function<void(const std::string& id, const Failure&)> on_failure;  // an actor failed
  std::function<void(const std::string& id, const std::string& reason)> on_finished;  // an actor stopped
  // Every change in an actor's life (see LifecycleEvent), in the order they happen for one
  // actor. Called on the runtime's threads, some holding the actor's turn: it must be
  // quick and must not call back into the ActorSystem.
  std::function<void(const LifecycleEvent&)> on_lifecycle;
};

// The error for an actor id that no actor has (here or, in a cluster, on any node).
inline Status NoSuchActor(const std::string& id) { return Status::NotFound("no actor with id " + id); }

class ActorSystem : public HostServices, public MessageRouter {
 public:
  static Result<std::unique_ptr<ActorSystem>> Create(std::shared_ptr<Engine> engine, SystemOptions options);
  ~ActorSystem();  // Shutdown()
  ActorSystem(const ActorSystem&) = delete;
  ActorSystem& operator=(const ActorSystem&) = delete;

  // --- Lifecycle -----------------------------------------------------------------------
  // Loads the component, checks its imports against the manifest, instantiates it and
  // queues its init. `initial_state` overrides the manifest's init_state. Errors before the
  // actor exists (manifest, component, imports) are returned; once it has an id, a failure
  // (instantiation, init) is the actor's: reported to on_failure and kept in Info().
  Result<std::string> Spawn(Manifest manifest, std::optional<Bytes> initial_state = std::nullopt);
  // Like Spawn, but the actor resumes with `state` instead of calling init (for example a
  // state recorded in an earlier chain: see StateAtEvent).
  Result<std::string> Resume(Manifest manifest, std::optional<Bytes> state);
  // Starts a child of `parent` (supervisor.spawn / supervisor.resume): its permissions are
  // narrowed by the parent's, and without `call_init` it resumes with `initial_state`.
  Result<std::string> SpawnChild(const std::string& parent, Manifest manifest, std::optional<Bytes> initial_state,
                                 bool call_init);
  // Gracefully: its children stop first (deepest first), then its current turn finishes,
  // waiting messages are refused, and it stops.
  Status Stop(const std::string& id);
  // Now: a running or waiting call is ended (its children's too).
  Status Terminate(const std::string& id);
  Result<ActorInfo> Info(const std::string& id);
  // Every actor's Info, without its state unless `with_state`.
  std::vector<ActorInfo> List(bool with_state = true);
  // How many actors are starting or running (a counter: no list is built).
  size_t live_actors() { return slots_->live(); }
  Result<std::vector<ChainEvent>> Events(const std::string& id);
  // The states its chain names (the snapshot file beside its chain file, or memory).
  Result<std::shared_ptr<const SnapshotSource>> Snapshots(const std::string& id);

  // --- Revival (runtime/revive.cc) -------------------------------------------------------
  // Brings back an actor that ran before (for example in a server that was restarted):
  // same id and parent, its chain goes on from `events` (the verified events of its chain
  // file, which is appended to), and it resumes with `state` without calling init. A
  // child's parent must be live already (revive parents first); its permissions are
  // narrowed by the parent's as at spawn. Records "theater/actor-resumed".
  Result<std::string> Revive(const std::string& id, const std::string& parent, Manifest manifest,
                             std::vector<ChainEvent> events, std::optional<Bytes> state, std::string reason);

  // --- Messages from outside the system --------------------------------------------------
  // A one-way message: ok once it is in the actor's mailbox. With `recorded`, that is
  // called later (on any thread) once the message is durably in the actor's chain (its
  // handle-send turn's "wasm/call" event is written out), or with why it never will be;
  // not called when Send itself returns an error.
  Status Send(const std::string& to, Bytes message, RecordedAck::Done recorded = nullptr);
  // The response, or why there is none (timeout, refused, stopped...). A parked request is
  // answered when the actor responds to it, within the timeout.
  std::future<RequestResult> Request(const std::string& to, Bytes message,
                                     std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Like Request, but `done` is called (on any thread) instead of filling a future.
  // Returns the request's id ("" when it was refused at once), for CancelRequest.
  std::string RequestAsync(const std::string& to, Bytes message, std::optional<std::chrono::milliseconds> timeout,
                           RequestTable::Completion done);
  // Ends an outside request before its answer (its caller went away): `done` gets `why`,
  // and the actor can no longer answer it. Nothing if it has ended already.
  void CancelRequest(const std::string& request_id, const std::string& why);

  // HostServices: calls one of an actor's handler exports for a host interface.
  Status CallExport(const std::string& to, std::shared_ptr<ExportCall> call) override;

  // --- Outside participants and observers (runtime/outside.cc) ----------------------------
  // Registers a channel participant outside the system; returns its id.
  std::string AddEndpoint(std::shared_ptr<OutsideEndpoint> endpoint);
  // It leaves its channels (they close: the other participants are told) and is forgotten.
  void RemoveEndpoint(const std::string& endpoint_id);
  // Channels between an outside participant and an actor, as the message-server-host
  // functions give them to actors: the target accepts or rejects the open; `done` gets
  // the channel id (as the response) or why not.
  void OpenChannelFrom(const std::string& endpoint_id, const std::string& target, Bytes initial_message,
                       RequestTable::Completion done);
  Status SendOnChannelFrom(const std::string& endpoint_id, const std::string& channel_id, Bytes message);
  Status CloseChannelFrom(const std::string& endpoint_id, const std::string& channel_id);
  // Restarts an actor from outside (an operator's restart): it stops (its children first)
  // and starts again with a fresh instance and its initial state, keeping its id and chain.
  Status Restart(const std::string& id);
  // Watches an actor's chain as it grows (see EventObserver); returns a token for
  // StopObserving. The actor must exist.
  Result<uint64_t> Observe(const std::string& actor_id, EventObserver observer);
  void StopObserving(uint64_t token);
  // Called by actors with each event they record.
  void PublishEvent(const std::string& actor_id, const ChainEvent& event) { observers_.Publish(actor_id, event); }
  // `participant_id` (an actor that finished, an endpoint that goes) leaves its channels:
  // they close, and the other participants are told.
  void LeaveChannels(const std::string& participant_id);
  // Like Reserve, for a channel participant: an actor, or an outside endpoint.
  Result<MailboxSlot> ReserveParticipant(const std::string& participant, size_t message_bytes) override;

  // Blocks until no actor has work to do right now (or `timeout` passes).
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Stops every actor (terminating those that do not stop in time) and writes out the chains.
  void Shutdown();

  // --- Other nodes (runtime/router.h) ---------------------------------------------------
  // Messages to actors this system does not run go through `router` (set once, before
  // the first message; null: there are no other nodes).
  void SetRemoteRouter(std::shared_ptr<RemoteRouter> router) { router_ = std::move(router); }
  RemoteRouter* remote_router() const { return router_.get(); }
  // Like Reserve, for a message from another node to an actor of this one.
  Result<MailboxSlot> ReserveLocal(const std::string& to, size_t message_bytes);
  // Starts a child here for `parent`, a supervisor on another node (RemoteRouter::SpawnChild
  // on its node): it counts as a tree of its own here, and its end is told to the parent
  // through the router.
  Result<std::string> SpawnForRemoteParent(const std::string& parent, Manifest manifest, Permissions permissions,
                                           std::optional<Bytes> initial_state, bool call_init);
  // The parent here hears how its child on another node finished: the notice, and its
  // restart policy (one-for-one across nodes: a restart is asked of the child's node).
  void OnRemoteChildFinished(const std::string& parent, const ChildNotice& notice);
  // For the child's node: what its parent on another node asks of it.
  Status ControlForRemoteParent(const std::string& parent, const std::string& child, ChildControl what);

  // --- For host interfaces and actors ----------------------------------------------------
  const SystemOptions& options() const { return options_; }
  RequestTable& requests() override { return *requests_; }
  ChannelTable& channels() override { return channels_; }
  std::chrono::milliseconds request_timeout() const override { return options_.request_timeout; }
  bool spans_nodes() const override { return router_ != nullptr; }
  ChainStore& chain_store() { return *chain_store_; }
  TimerQueue& timers() override { return *timers_; }
  const std::filesystem::path& data_dir() const override { return options_.data_dir; }
  // The content store (the store handler, store:// references): <data_dir>/store.db, or a
  // temporary directory of the system's own (removed with it) when data_dir is empty.
  // Opened on first use; an error when the file cannot be opened.
  Result<ContentStore*> content_store() override;
  // Checks size, target and room, and holds a place in the target's mailbox.
  Result<MailboxSlot> Reserve(const std::string& to, size_t message_bytes) override;
  // Records that `from` waits on `to`; an error if that closes a cycle of waiting actors.
  Status EnterWait(const std::string& from, const std::string& to) override;
  void LeaveWait(const std::string& from) override;
  // The target's answer to handle-channel-open (or a refusal on its behalf).
  void AnswerChannelOpen(const std::string& channel_id, const std::string& target, bool accepted,
                         const std::optional<Bytes>& message, std::optional<Cause> cause);
  void Schedule(std::shared_ptr<Actor> actor);
  void NotifyFailure(const std::string& id, const Failure& failure);
  void NotifyFinished(const std::string& id, const std::string& reason);
  // Called by an actor once it has finished: cleans up after it and lets its supervisor
  // (and the restart policy) act.
  void OnActorFinished(const std::shared_ptr<Actor>& actor, const FinishInfo& info);
  size_t max_actors() const { return slots_->max_actors(); }

  // --- Supervision (runtime/supervision.cc) ----------------------------------------------
  std::vector<std::string> ChildrenOf(const std::string& parent);  // in the order started
  bool HasLiveChildren(const std::string& parent);
  bool IsChildOf(const std::string& child, const std::string& parent);
  // stop-child / restart-child, for the child's parent.
  Status StopChild(const std::string& parent, const std::string& child);
  Status RestartChild(const std::string& parent, const std::string& child);
  std::shared_ptr<Actor> FindActor(const std::string& id) { return Find(id); }

 private:
  // A place in `actor`'s mailbox (`actor` is Find(to), or null).
  Result<MailboxSlot> ReserveIn(std::shared_ptr<Actor> actor, const std::string& to, size_t message_bytes);
  ActorSystem(std::shared_ptr<Engine> engine, SystemOptions options);
  std::shared_ptr<Actor> Find(const std::string& id);
  // What a revived actor brings back of its earlier run (see Revive).
  struct Revival {
    std::string id;
    std::vector<ChainEvent> events;
    std::string reason;
  };
  // Starts an actor: a new one, or with `revival` the one that ran before.
  Result<std::string> SpawnActor(Manifest manifest, Permissions permissions, const std::string& parent,
                                 std::optional<Bytes> initial_state, bool call_init,
                                 std::optional<Revival> revival = std::nullopt);
  // The permissions of a child of `parent` (live, with a supervisor handler): the
  // manifest's, narrowed by the parent's.
  Result<Permissions> ChildPermissions(const std::string& parent, const Manifest& manifest);
  void NotifyLifecycle(LifecycleEvent::Kind kind, const Actor& actor, StopOrigin origin = StopOrigin::kOutside,
                       std::string reason = "", bool failed = false);

  // Supervision (runtime/supervision.cc).
  struct RestartPlan {
    std::string parent;
    std::vector<std::shared_ptr<Actor>> actors;  // to restart, in the order they were started
    std::set<std::string> finishing;             // not finished yet
    TimerQueue::Clock::time_point due;
    std::string why;
    bool last_good_state = false;
  };
  void StopTree(const std::shared_ptr<Actor>& actor, StopOrigin origin);
  void TerminateTree(const std::shared_ptr<Actor>& actor, StopOrigin origin);
  void RemoveChild(const std::string& parent, const std::string& child) { tree_.RemoveChild(parent, child); }
  void ApplyRestartPolicy(const std::shared_ptr<Actor>& parent, const std::shared_ptr<Actor>& child,
                          const Failure& failure);
  // Counts a restart against the parent's policy; false (and the parent fails) when it
  // has restarted too many. `backoff` is how long the restart waits.
  bool AllowRestart(const std::shared_ptr<Actor>& parent, const std::string& child, const std::string& why,
                    const RestartPolicy& policy, std::chrono::milliseconds& backoff);
  // A child of a local parent that another node runs.
  bool IsRemote(const std::string& actor_id) { return router_ && !Find(actor_id); }
  // Adds a plan; runs it when its actors have finished and its time has come.
  void Plan(std::shared_ptr<RestartPlan> plan);
  // Stops `actor` (if it runs) and starts it again at once, for an operator or its parent.
  void RestartNow(const std::shared_ptr<Actor>& actor, const std::string& why);
  bool AdvancePlans(const std::string& finished_id);  // true if `finished_id` belongs to a plan
  void RunPlanWhenDue(const std::shared_ptr<RestartPlan>& plan);
  void RunPlan(const std::shared_ptr<RestartPlan>& plan);

  std::shared_ptr<Engine> engine_;
  SystemOptions options_;
  std::unique_ptr<ChainStore> chain_store_;
  std::unique_ptr<RequestTable> requests_;
  ChannelTable channels_;
  std::shared_ptr<RemoteRouter> router_;

  ActorRegistry actors_;

  WaitGraph waits_;

  SupervisionTree tree_;
  std::mutex plans_mu_;
  std::vector<std::shared_ptr<RestartPlan>> plans_;  // guarded by plans_mu_
  std::unique_ptr<TimerQueue> timers_;

  // Outside participants and observers (runtime/outside.cc).
  ObserverTable observers_;
  Registry<OutsideEndpoint> endpoints_;

  std::mutex content_store_mu_;
  std::unique_ptr<ContentStore> content_store_;
  std::filesystem::path temp_data_dir_;  // made for content_store_ when data_dir is empty

  // Live actors (see SystemOptions::max_actors, operator_reserve, max_tree_actors).
  std::unique_ptr<ActorSlots> slots_;
  std::atomic<bool> shutting_down_{false};  // no more spawns or restarts
  std::atomic<bool> shut_down_{false};      // no more scheduling
  std::unique_ptr<Scheduler> scheduler_;  // last: its workers stop first
};

}  // namespace theater
