// One actor of an ActorSystem: a component instance in its own store, its mailbox, its
// state and its chain. Turns run one at a time, in mailbox order, on the system's workers;
// a turn that waits (a request, a channel being opened) gives its worker back and resumes
// when woken. Every turn is recorded: "wasm/call", the host calls it makes, then
// "wasm/result" or "wasm/error". A failed turn keeps the state from before it.
//
// An actor that has finished (failed or stopped) can be restarted by its supervisor: it
// keeps its id and its chain, and gets a fresh store and its initial (or last good) state.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/state_call.h"
#include "manifest/manifest.h"
#include "runtime/actor_context.h"
#include "runtime/envelope.h"
#include "runtime/scheduler.h"
#include "storage/chain_store.h"

namespace theater {

enum class ActorStatus { kStarting, kRunning, kRestarting, kFailed, kStopped };
std::string_view ActorStatusName(ActorStatus status);

// Who asked an actor to stop; it decides what its supervisor hears.
enum class StopOrigin {
  kOutside,         // Stop/Terminate through the system's API (the CLI, the server)
  kParent,          // its supervisor called stop-child
  kParentStopping,  // its supervisor is stopping
  kRestart,         // stopped to be restarted (restart-child, one-for-all, rest-for-one)
  kShutdown,        // the actor system is shutting down
  kEscalation,      // restart intensity exceeded: it fails as a supervisor
};

// A snapshot for callers outside the actor.
struct ActorInfo {
  std::string id;
  std::string name;
  std::string parent;  // empty for actors started from outside
  ActorStatus status = ActorStatus::kStarting;
  std::optional<Bytes> state;      // the current state; after a failure, the last good one
  std::optional<Failure> failure;  // the last failure
  std::string stop_reason;         // why it last stopped (see Actor::Finish)
  uint32_t restarts = 0;
  size_t events = 0;
  std::optional<Hash> head;
  size_t mailbox = 0;
  std::filesystem::path chain_path;
  std::filesystem::path manifest_path;
};

// How an actor finished, for its supervisor.
struct FinishInfo {
  std::string reason;
  StopOrigin origin = StopOrigin::kOutside;
  std::optional<Failure> failure;  // when it failed
  bool shutdown = false;           // it called runtime.shutdown
  std::optional<Bytes> shutdown_data;
};

class Actor : public std::enable_shared_from_this<Actor> {
 public:
  // `tree_root`: the top-level actor of its supervision tree (itself for a top-level one).
  Actor(ActorSystem* system, std::string id, std::string parent, std::string tree_root, Manifest manifest,
        Permissions permissions, std::shared_ptr<const Component> component, std::shared_ptr<ChainStore::Sink> sink,
        ActorContext::LogSink log_sink);
  ~Actor();

  const std::string& id() const { return id_; }
  const std::string& parent() const { return parent_; }
  const std::string& tree_root() const { return tree_root_; }
  const Manifest& manifest() const { return context_.manifest(); }
  const Permissions& permissions() const { return context_.permissions(); }

  // Records "theater/actor-started" and instantiates the component; then init is the first
  // message (unless `call_init` is false: the actor resumes with `initial_state`).
  std::optional<Failure> Start(std::shared_ptr<Engine> engine, std::optional<Bytes> initial_state, bool call_init,
                               const std::optional<Cause>& cause);
  // After it finished: records "theater/actor-restarted" and starts a fresh instance with
  // its initial state (or its last good one).
  std::optional<Failure> Restart(std::shared_ptr<Engine> engine, bool last_good_state, const std::string& why);
  // Revival (ActorSystem::Revive), in two steps. RestoreChain, before anything is
  // recorded: the chain of its earlier run, which its events continue. Revive: records
  // "theater/actor-resumed" and instantiates the component without calling init; the
  // actor goes on with `state`.
  Status RestoreChain(std::vector<ChainEvent> events);
  std::optional<Failure> Revive(std::shared_ptr<Engine> engine, std::optional<Bytes> state, const std::string& reason);

  // Mailbox, from any thread. Reserve checks room (and that the actor still takes
  // messages) and holds a place; Commit fills it. Enqueue does both. Notices to a
  // supervisor about its children bypass the capacity (they must not be lost).
  Status Reserve(size_t capacity);
  void Commit(Envelope envelope);
  void Unreserve();
  Status Enqueue(Envelope envelope, size_t capacity);
  void Notify(Envelope notice);

  // From any thread.
  void RequestStop(StopOrigin origin);  // after the current turn (and its children)
  void RequestTermination(StopOrigin origin, std::optional<Failure> failure = std::nullopt);  // now
  void Wake();  // it may have something to do (a host result arrived, a child finished)
  void MarkRestarting();
  // Calls `changed` once, the next time the actor finishes (its chain written out) or
  // starts running (after a restart), on the thread that changed it: it must be quick
  // (a server posts its reply). Whoever waits for a stop or a restart is told at once,
  // instead of polling.
  void WhenChanged(std::function<void()> changed);

  // The worker's entry point: runs up to a few turns, and says how the slice ended.
  SliceEnd RunSlice();

  // True when the component exports `interface` (e.g. message-server-client).
  bool Exports(std::string_view interface) const;
  // Without `with_state`, Info leaves `state` empty: a listing of thousands of actors
  // need not copy every actor's state.
  ActorInfo Info(bool with_state = true);
  std::vector<ChainEvent> Events();
  // Where the states its chain names are kept (StateAtEvent reads them from there).
  std::shared_ptr<const SnapshotSource> Snapshots() const;
  bool finished();
  ActorStatus status();

 private:
  enum class Sched { kIdle, kQueued, kRunning, kWaiting, kDone };
  struct Turn {
    Envelope envelope;
    std::string function;
    std::unique_ptr<PendingCall> call;
  };

  std::optional<Failure> Instantiate(std::shared_ptr<Engine> engine, bool call_init);
  void BeginTurn(Envelope envelope);
  void FinishTurn(CallOutcome outcome);
  // After the turn: the reply its message expects (a response, a channel answer).
  void Reply(const Envelope& envelope, const StateCallResult& result, const Hash& result_event);
  void FailReply(const Envelope& envelope, const std::string& why);
  void Fail(const Failure& failure, std::optional<Envelope> envelope);
  // Records the stop, refuses what is left in the mailbox, releases the instance, and
  // tells the system (which tells the supervisor).
  void Finish(std::string reason, StopOrigin origin, std::optional<Failure> failure = std::nullopt);
  void ScheduleLocked();  // mu_ held
  bool FinishedSince(uint64_t lifetime);

  ActorSystem* system_;
  std::string id_;
  std::string parent_;
  std::string tree_root_;
  std::shared_ptr<const Component> component_;
  std::shared_ptr<ChainStore::Sink> sink_;
  ActorContext context_;
  std::unique_ptr<Instance> instance_;
  std::optional<Turn> turn_;  // worker only
  std::optional<Bytes> initial_state_;

  void NotifyChanged();  // calls (and drops) the WhenChanged callbacks; mu_ not held

  std::mutex mu_;  // guards everything below
  std::vector<std::function<void()>> when_changed_;
  Sched sched_ = Sched::kIdle;
  ActorStatus status_ = ActorStatus::kStarting;
  std::deque<Envelope> mailbox_;
  size_t reserved_ = 0;
  bool woken_ = false;
  std::optional<StopOrigin> stop_requested_;
  std::optional<StopOrigin> terminate_requested_;
  std::optional<Failure> termination_failure_;
  std::optional<Failure> failure_;
  std::string stop_reason_;
  uint32_t restarts_ = 0;
  // Counts the actor's finishes: a slice that saw it finish (and maybe restart, which
  // queues it anew) must not go on with the restarted actor.
  uint64_t lifetimes_ = 0;
  bool finishing_ = false;  // Finish is recording the stop
  // Snapshot of what the worker changes, for Info() from other threads.
  std::optional<Bytes> state_snapshot_;
};

}  // namespace theater
