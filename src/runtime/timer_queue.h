// Runs callbacks at given times, on one thread of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace theater {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  TimerQueue();
  ~TimerQueue();  // pending callbacks are dropped

  void At(Clock::time_point when, std::function<void()> fn);
  void After(std::chrono::milliseconds delay, std::function<void()> fn) { At(Clock::now() + delay, std::move(fn)); }

 private:
  struct Item {
    Clock::time_point when;
    uint64_t order;
    std::function<void()> fn;
    bool operator>(const Item& o) const { return when != o.when ? when > o.when : order > o.order; }
  };
  void Loop(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> items_;
  uint64_t next_order_ = 0;
  std::jthread thread_;
};

}  // namespace theater
