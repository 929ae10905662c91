#include "runtime/scheduler.h"

namespace theater {

Scheduler::Scheduler(size_t workers, RunSlice run) : run_(std::move(run)) {
  if (workers == 0) workers = 1;
  for (size_t i = 0; i < workers; ++i)
    threads_.emplace_back([this](std::stop_token stop) { Work(stop); });
}

Scheduler::~Scheduler() {
  for (auto& t : threads_) t.request_stop();
  cv_.notify_all();
  threads_.clear();  // joins
}

void Scheduler::Push(std::shared_ptr<Actor> actor) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(actor));
    queued_.store(queue_.size(), std::memory_order_release);
    wake = sleeping_ > 0 && spinning_.load(std::memory_order_acquire) == 0;
  }
  if (wake) cv_.notify_one();
}

bool Scheduler::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && running_ == 0; });
}

void Scheduler::Work(std::stop_token stop) {
  constexpr auto kSpin = std::chrono::microseconds(200);
  std::unique_lock lock(mu_);
  while (true) {
    if (queue_.empty()) {
      // Spin a little, then sleep.
      lock.unlock();
      spinning_.fetch_add(1, std::memory_order_acq_rel);
      auto until = std::chrono::steady_clock::now() + kSpin;
      while (queued_.load(std::memory_order_acquire) == 0 && !stop.stop_requested() &&
             std::chrono::steady_clock::now() < until) {
        __builtin_ia32_pause();
      }
      spinning_.fetch_sub(1, std::memory_order_acq_rel);
      lock.lock();
      ++sleeping_;
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      --sleeping_;
    }
    if (stop.stop_requested()) return;
    std::shared_ptr<Actor> actor = std::move(queue_.front());
    queue_.pop_front();
    queued_.store(queue_.size(), std::memory_order_release);
    ++running_;
    lock.unlock();
    bool again = run_(actor);
    lock.lock();
    --running_;
    if (again) {
      queue_.push_back(std::move(actor));
      queued_.store(queue_.size(), std::memory_order_release);
      if (sleeping_ > 0 && spinning_.load(std::memory_order_acquire) == 0) cv_.notify_one();
    } else if (queue_.empty() && running_ == 0) {
      idle_cv_.notify_all();
    }
  }
}

}  // namespace theater
