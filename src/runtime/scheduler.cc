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
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(actor));
  }
  cv_.notify_one();
}

bool Scheduler::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && running_ == 0; });
}

void Scheduler::Work(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, stop, [this] { return !queue_.empty(); });
    if (stop.stop_requested()) return;
    std::shared_ptr<Actor> actor = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    bool again = run_(actor);
    lock.lock();
    --running_;
    if (again) {
      queue_.push_back(std::move(actor));
      cv_.notify_one();
    } else if (queue_.empty() && running_ == 0) {
      idle_cv_.notify_all();
    }
  }
}

}  // namespace theater
