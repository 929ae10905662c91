#include "runtime/scheduler.h"

namespace theater {

namespace {
// Preemptions at most this often: each makes every running call yield once.
constexpr auto kMinPreemptInterval = std::chrono::microseconds(500);
}  // namespace

Scheduler::Scheduler(size_t workers, RunSlice run, std::function<void()> preempt)
    : run_(std::move(run)), preempt_(std::move(preempt)) {
  if (workers == 0) workers = 1;
  for (size_t i = 0; i < workers; ++i)
    threads_.emplace_back([this](std::stop_token stop) { Work(stop); });
}

Scheduler::~Scheduler() {
  for (auto& t : threads_) t.request_stop();
  cv_.notify_all();
  threads_.clear();  // joins
}

void Scheduler::Enqueued() {
  queued_.store(ready_.size() + busy_.size(), std::memory_order_release);
  if (sleeping_ > 0 && spinning_.load(std::memory_order_acquire) == 0) cv_.notify_one();
}

void Scheduler::PreemptIfAllBusy() {
  // Every worker runs an actor that used up its slice before: the newcomer would wait for
  // one of them to use up another. Ask them to yield now instead.
  if (!preempt_ || running_busy_ == 0 || running_ < threads_.size()) return;
  auto now = Clock::now();
  if (now - last_preempt_ < kMinPreemptInterval) return;
  last_preempt_ = now;
  preempt_();
}

void Scheduler::Push(std::shared_ptr<Actor> actor) {
  std::lock_guard lock(mu_);
  ready_.push_back(std::move(actor));
  Enqueued();
  PreemptIfAllBusy();
}

bool Scheduler::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return Empty() && running_ == 0; });
}

void Scheduler::Work(std::stop_token stop) {
  constexpr auto kSpin = std::chrono::microseconds(200);
  std::unique_lock lock(mu_);
  while (true) {
    if (Empty()) {
      // Spin a little, then sleep.
      lock.unlock();
      size_t expected = 0;
      if (spinning_.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        auto until = Clock::now() + kSpin;
        while (queued_.load(std::memory_order_acquire) == 0 && !stop.stop_requested() && Clock::now() < until) {
          __builtin_ia32_pause();
        }
        spinning_.fetch_sub(1, std::memory_order_acq_rel);
      }
      lock.lock();
      ++sleeping_;
      cv_.wait(lock, stop, [this] { return !Empty(); });
      --sleeping_;
    }
    if (stop.stop_requested()) return;
    // Ready actors first, but never more than kReadyPerBusy in a row while busy ones wait.
    bool from_busy = ready_.empty() || (!busy_.empty() && ready_streak_ >= kReadyPerBusy);
    std::shared_ptr<Actor> actor;
    if (from_busy) {
      actor = std::move(busy_.front());
      busy_.pop_front();
      ++running_busy_;
      ready_streak_ = 0;
    } else {
      actor = std::move(ready_.front());
      ready_.pop_front();
      if (!busy_.empty()) ++ready_streak_;
    }
    queued_.store(ready_.size() + busy_.size(), std::memory_order_release);
    ++running_;
    lock.unlock();
    SliceEnd end = run_(actor);
    lock.lock();
    --running_;
    if (from_busy) --running_busy_;
    if (end == SliceEnd::kYielded) {
      busy_.push_back(std::move(actor));
      Enqueued();
    } else if (end == SliceEnd::kReady) {
      ready_.push_back(std::move(actor));
      Enqueued();
    } else if (Empty() && running_ == 0) {
      idle_cv_.notify_all();
    }
  }
}

}  // namespace theater
