// ActorSystem: many sandboxed actors in one process. It owns the registry (actor id =
// UUID v4), the worker pool, the requests and channels in flight, and the chain files.
// This is the library API that the CLI, the server and the tests drive: start an actor
// from a manifest, send it messages, ask it questions, stop or terminate it, and read its
// state, status and chain.
#pragma once

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
#include "runtime/channels.h"
#include "runtime/requests.h"
#include "runtime/restart_policy.h"
#include "runtime/scheduler.h"
#include "runtime/timer_queue.h"
#include "storage/chain_store.h"

namespace theater {

struct SystemOptions {
  // Chains go to <chain_dir>/<actor-id>.chain; empty: chains stay in memory.
  std::filesystem::path chain_dir;
  ChainStore::Options chain_store;      // durability (sync), checkpoints and their key
  size_t workers = 0;                   // 0: one per core
  size_t mailbox_capacity = 1024;       // messages waiting per actor; a full mailbox refuses
  size_t max_message_bytes = 1 << 20;   // larger messages are refused
  std::chrono::milliseconds request_timeout{5000};
  // Live actors at most; 0: derived from the kernel's vm.max_map_count (each actor needs
  // a few memory mappings, and a process that runs out of them cannot even allocate).
  size_t max_actors = 0;
  ActorContext::LogSink log_sink;                                         // runtime.log lines
  std::function<void(const std::string& id, const Failure&)> on_failure;  // an actor failed
  std::function<void(const std::string& id, const std::string& reason)> on_finished;  // an actor stopped
};

// A reserved place in an actor's mailbox (released unless committed).
class MailboxSlot {
 public:
  explicit MailboxSlot(std::shared_ptr<Actor> target) : target_(std::move(target)) {}
  MailboxSlot(MailboxSlot&& other) noexcept = default;
  MailboxSlot& operator=(MailboxSlot&&) = delete;
  ~MailboxSlot() { if (target_) target_->Unreserve(); }
  void Commit(Envelope envelope) { std::exchange(target_, nullptr)->Commit(std::move(envelope)); }
  const std::string& target_id() const { return target_->id(); }

 private:
  std::shared_ptr<Actor> target_;
};

class ActorSystem {
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
  std::vector<ActorInfo> List();
  Result<std::vector<ChainEvent>> Events(const std::string& id);

  // --- Messages from outside the system --------------------------------------------------
  Status Send(const std::string& to, Bytes message);
  // The response, or why there is none (timeout, refused, stopped...). A parked request is
  // answered when the actor responds to it, within the timeout.
  std::future<RequestResult> Request(const std::string& to, Bytes message,
                                     std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Blocks until no actor has work to do right now (or `timeout` passes).
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Stops every actor (terminating those that do not stop in time) and writes out the chains.
  void Shutdown();

  // --- For host interfaces and actors ----------------------------------------------------
  const SystemOptions& options() const { return options_; }
  RequestTable& requests() { return *requests_; }
  ChannelTable& channels() { return channels_; }
  ChainStore& chain_store() { return *chain_store_; }
  TimerQueue& timers() { return *timers_; }
  // Checks size, target and room, and holds a place in the target's mailbox.
  Result<MailboxSlot> Reserve(const std::string& to, size_t message_bytes);
  // Records that `from` waits on `to`; an error if that closes a cycle of waiting actors.
  Status EnterWait(const std::string& from, const std::string& to);
  void LeaveWait(const std::string& from);
  // The target's answer to handle-channel-open (or a refusal on its behalf).
  void AnswerChannelOpen(const std::string& channel_id, const std::string& target, bool accepted,
                         const std::optional<Bytes>& message, std::optional<Cause> cause);
  void Schedule(std::shared_ptr<Actor> actor);
  void NotifyFailure(const std::string& id, const Failure& failure);
  void NotifyFinished(const std::string& id, const std::string& reason);
  // Called by an actor once it has finished: cleans up after it and lets its supervisor
  // (and the restart policy) act.
  void OnActorFinished(const std::shared_ptr<Actor>& actor, const FinishInfo& info);
  size_t max_actors() const { return max_actors_; }

  // --- Supervision (runtime/supervision.cc) ----------------------------------------------
  std::vector<std::string> ChildrenOf(const std::string& parent);  // in the order started
  bool HasLiveChildren(const std::string& parent);
  bool IsChildOf(const std::string& child, const std::string& parent);
  // stop-child / restart-child, for the child's parent.
  Status StopChild(const std::string& parent, const std::string& child);
  Status RestartChild(const std::string& parent, const std::string& child);
  std::shared_ptr<Actor> FindActor(const std::string& id) { return Find(id); }

 private:
  ActorSystem(std::shared_ptr<Engine> engine, SystemOptions options);
  std::shared_ptr<Actor> Find(const std::string& id);
  Result<std::string> SpawnActor(Manifest manifest, Permissions permissions, const std::string& parent,
                                 std::optional<Bytes> initial_state, bool call_init);

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
  void RemoveChild(const std::string& parent, const std::string& child);
  void ApplyRestartPolicy(const std::shared_ptr<Actor>& parent, const std::shared_ptr<Actor>& child,
                          const Failure& failure);
  // Adds a plan; runs it when its actors have finished and its time has come.
  void Plan(std::shared_ptr<RestartPlan> plan);
  bool AdvancePlans(const std::string& finished_id);  // true if `finished_id` belongs to a plan
  void RunPlanWhenDue(const std::shared_ptr<RestartPlan>& plan);
  void RunPlan(const std::shared_ptr<RestartPlan>& plan);

  std::shared_ptr<Engine> engine_;
  SystemOptions options_;
  std::unique_ptr<ChainStore> chain_store_;
  std::unique_ptr<RequestTable> requests_;
  ChannelTable channels_;

  std::shared_mutex registry_mu_;
  std::unordered_map<std::string, std::shared_ptr<Actor>> actors_;

  std::mutex wait_mu_;
  std::unordered_map<std::string, std::string> waiting_on_;  // requester -> the actor it waits on

  std::mutex tree_mu_;  // guards the three below
  std::unordered_map<std::string, std::vector<std::string>> children_;  // parent -> children, in order
  std::unordered_map<std::string, std::deque<TimerQueue::Clock::time_point>> restarts_;  // parent -> recent restarts
  std::vector<std::shared_ptr<RestartPlan>> plans_;
  std::unique_ptr<TimerQueue> timers_;

  size_t max_actors_ = 0;
  std::atomic<size_t> live_actors_{0};
  std::atomic<bool> shutting_down_{false};  // no more spawns or restarts
  std::atomic<bool> shut_down_{false};      // no more scheduling
  std::unique_ptr<Scheduler> scheduler_;  // last: its workers stop first
};

}  // namespace theater
