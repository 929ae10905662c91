// engine-internal: what each actor's wasmtime store carries, shared by instance.cc (which
// runs calls) and host_trampoline.cc (which runs host functions inside them).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace theater {

using Clock = std::chrono::steady_clock;

// How a call waiting on a HostOp is woken: shared with every HostOp the instance hands out,
// so that a late completion after the instance is gone touches nothing that was freed.
struct Wakeup {
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  std::function<void()> waker;  // the owner's, set with Instance::SetWaker

  void Wake() {
    std::function<void()> w;
    {
      std::lock_guard lock(mu);
      woken = true;
      w = waker;
    }
    cv.notify_all();
    if (w) w();
  }
};

// What a store carries. Only the thread polling the instance's call touches it, except
// `terminate` and `wakeup`.
struct StoreData {
  void* host_data = nullptr;
  std::string host_error;  // the last failed host call (component errors carry no cause)
  StatusCode host_error_code = StatusCode::kOk;
  Clock::time_point deadline = Clock::time_point::max();
  bool deadline_hit = false;
  std::atomic<bool> terminate{false};
  bool terminated = false;
  int pending_ops = 0;  // async host results the running call waits for
  std::shared_ptr<Wakeup> wakeup = std::make_shared<Wakeup>();
};

}  // namespace theater
