// The worker pool: a queue of actors that have work, and threads that run them. An actor
// is in the queue at most once (the actor tracks that); workers run one slice of it at a
// time: a few turns, or until its call yields or waits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace theater {

class Actor;

class Scheduler {
 public:
  // `run` runs one slice of an actor and says whether it goes back into the queue.
  using RunSlice = std::function<bool(const std::shared_ptr<Actor>&)>;

  Scheduler(size_t workers, RunSlice run);
  ~Scheduler();  // stops the workers (after their current slice)

  void Push(std::shared_ptr<Actor> actor);
  // Blocks until the queue is empty and no worker is running a slice, or `timeout` passes.
  bool WaitIdle(std::chrono::milliseconds timeout);
  size_t workers() const { return threads_.size(); }

 private:
  void Work(std::stop_token stop);

  RunSlice run_;
  // Workers without work spin for a moment before they sleep: an actor woken by a
  // message is then picked up in nanoseconds instead of after a futex wake-up, which
  // dominates request round trips. Push wakes a sleeper only when no worker spins.
  std::atomic<size_t> queued_{0};
  std::atomic<size_t> spinning_{0};
  size_t sleeping_ = 0;  // guarded by mu_
  std::mutex mu_;
  std::condition_variable_any cv_;       // work arrived
  std::condition_variable idle_cv_;      // queue drained
  std::deque<std::shared_ptr<Actor>> queue_;
  size_t running_ = 0;
  std::vector<std::jthread> threads_;
};

}  // namespace theater
