// The worker pool: queues of actors that have work, and threads that run them. An actor
// is in a queue at most once (the actor tracks that); workers run one slice of it at a
// time: a few turns, or until its call yields or waits.
//
// Fairness. An actor that used up its time slice (a long computation, an endless loop)
// goes to the back of the *busy* queue; one that was woken (a message, a reply) goes to
// the *ready* queue, which workers serve first. When a ready actor arrives while every
// worker runs a busy one, the scheduler preempts them (the engine makes running calls
// yield at once), so that 20 endless loops delay a neighbour's request by a slice of
// microseconds, not by 20 time slices. After kReadyPerBusy ready actors in a row, a
// busy one goes first: a flood of messages cannot starve the busy ones either.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace theater {

class Actor;

// How a slice ended, as the worker reports it.
enum class SliceEnd {
  kDone,     // nothing more to do now (idle, waiting, finished)
  kReady,    // more to do at once (woken while it ran)
  kYielded,  // used up its time slice, or ran its most turns in a row
};

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  // `run` runs one slice of an actor. `preempt` makes every running call yield soon.
  using RunSlice = std::function<SliceEnd(const std::shared_ptr<Actor>&)>;
  static constexpr size_t kReadyPerBusy = 8;

  Scheduler(size_t workers, RunSlice run, std::function<void()> preempt = nullptr);
  ~Scheduler();  // stops the workers (after their current slice)

  void Push(std::shared_ptr<Actor> actor);  // it has work: the ready queue
  // Blocks until the queues are empty and no worker is running a slice, or `timeout` passes.
  bool WaitIdle(std::chrono::milliseconds timeout);
  size_t workers() const { return threads_.size(); }

 private:
  void Work(std::stop_token stop);
  bool Empty() const { return ready_.empty() && busy_.empty(); }  // mu_ held
  void Enqueued();                                                // mu_ held: after a queue grew
  void PreemptIfAllBusy();                                        // mu_ held

  RunSlice run_;
  std::function<void()> preempt_;
  // Workers without work spin for a moment before they sleep: an actor woken by a
  // message is then picked up in nanoseconds instead of after a futex wake-up, which
  // dominates request round trips. Push wakes a sleeper only when no worker spins.
  std::atomic<size_t> queued_{0};
  std::atomic<size_t> spinning_{0};
  size_t sleeping_ = 0;  // guarded by mu_
  std::mutex mu_;
  std::condition_variable_any cv_;   // work arrived
  std::condition_variable idle_cv_;  // queues drained
  std::deque<std::shared_ptr<Actor>> ready_;
  std::deque<std::shared_ptr<Actor>> busy_;
  size_t ready_streak_ = 0;  // ready actors taken in a row while busy ones waited
  size_t running_ = 0;       // slices being run
  size_t running_busy_ = 0;  // of which taken from the busy queue
  Clock::time_point last_preempt_{};
  std::vector<std::jthread> threads_;
};

}  // namespace theater
