// One actor of an ActorSystem: a component instance in its own store, its mailbox, its
// state and its chain. Turns run one at a time, in mailbox order, on the system's workers;
// a turn that waits (a request, a channel being opened) gives its worker back and resumes
// when woken. Every turn is recorded: "wasm/call", the host calls it makes, then
// "wasm/result" or "wasm/error". A failed turn keeps the state from before it.
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
#include "storage/chain_store.h"

namespace theater {

enum class ActorStatus { kStarting, kRunning, kFailed, kStopped };
std::string_view ActorStatusName(ActorStatus status);

// A snapshot for callers outside the actor.
struct ActorInfo {
  std::string id;
  std::string name;
  ActorStatus status = ActorStatus::kStarting;
  std::optional<Bytes> state;
  std::optional<Failure> failure;  // why it failed
  std::string stop_reason;         // "finished", "shutdown", "stopped", "terminated", "failed"
  size_t events = 0;
  std::optional<Hash> head;
  size_t mailbox = 0;
  std::filesystem::path chain_path;
};

class Actor : public std::enable_shared_from_this<Actor> {
 public:
  Actor(ActorSystem* system, std::string id, Manifest manifest, std::shared_ptr<const Component> component,
        std::shared_ptr<ChainStore::Sink> sink, ActorContext::LogSink log_sink);
  ~Actor();

  const std::string& id() const { return id_; }

  // Records "theater/actor-started" and instantiates the component (init is the first
  // message). Runs on the spawning thread before anyone else can reach the actor.
  std::optional<Failure> Start(std::shared_ptr<Engine> engine, std::optional<Bytes> initial_state);

  // Mailbox, from any thread. Reserve checks room (and that the actor still takes
  // messages) and holds a place; Commit fills it. Enqueue does both.
  Status Reserve(size_t capacity);
  void Commit(Envelope envelope);
  void Unreserve();
  Status Enqueue(Envelope envelope, size_t capacity);

  // From any thread.
  void RequestStop();       // after the current turn
  void RequestTermination();  // now: the running call is ended
  void Wake();              // a call waiting on a host result can go on

  // The worker's entry point: runs up to a few turns. True: queue the actor again.
  bool RunSlice();

  // True when the component exports message-server-client (it can take messages).
  bool Receives() const;
  ActorInfo Info();
  std::vector<ChainEvent> Events();
  bool stopped();

 private:
  enum class Sched { kIdle, kQueued, kRunning, kWaiting, kDone };
  struct Turn {
    Envelope envelope;
    std::string function;
    std::unique_ptr<PendingCall> call;
  };

  void BeginTurn(Envelope envelope);
  void FinishTurn(CallOutcome outcome);
  // After the turn: the reply its message expects (a response, a channel answer).
  void Reply(const Envelope& envelope, const StateCallResult& result, const Hash& result_event);
  void FailReply(const Envelope& envelope, const std::string& why);
  void Fail(const Failure& failure, std::optional<Envelope> envelope);
  void Finish(const std::string& reason);  // records the stop and lets everything go
  void ScheduleLocked();                   // mu_ held

  ActorSystem* system_;
  std::string id_;
  std::shared_ptr<const Component> component_;
  std::shared_ptr<ChainStore::Sink> sink_;
  ActorContext context_;
  std::unique_ptr<Instance> instance_;
  std::optional<Turn> turn_;  // worker only

  std::mutex mu_;  // guards everything below
  Sched sched_ = Sched::kIdle;
  ActorStatus status_ = ActorStatus::kStarting;
  std::deque<Envelope> mailbox_;
  size_t reserved_ = 0;
  bool woken_ = false;
  bool stop_requested_ = false;
  bool terminate_requested_ = false;
  std::optional<Failure> failure_;
  std::string stop_reason_;
  // Snapshot of what the worker changes, for Info() from other threads.
  std::optional<Bytes> state_snapshot_;
};

}  // namespace theater
