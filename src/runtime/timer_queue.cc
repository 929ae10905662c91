#include "runtime/timer_queue.h"

namespace theater {

TimerQueue::TimerQueue() {
  thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

TimerQueue::~TimerQueue() {
  thread_.request_stop();
  cv_.notify_all();
}

void TimerQueue::At(Clock::time_point when, std::function<void()> fn) {
  bool earliest;
  {
    std::lock_guard lock(mu_);
    earliest = items_.empty() || when < items_.top().when;
    items_.push(Item{when, next_order_++, std::move(fn)});
  }
  if (earliest) cv_.notify_all();
}

void TimerQueue::Loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (items_.empty()) {
      cv_.wait(lock, stop, [this] { return !items_.empty(); });
      continue;
    }
    auto next = items_.top().when;
    if (Clock::now() < next) {
      cv_.wait_until(lock, stop, next, [&] { return !items_.empty() && items_.top().when < next; });
      continue;
    }
    std::function<void()> fn = std::move(const_cast<Item&>(items_.top()).fn);
    items_.pop();
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace theater
