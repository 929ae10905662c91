// HostOp: the result of a host function that arrives later (a request's response, a
// channel being accepted). The actor's call waits without holding a thread: its worker
// moves on, and Complete() wakes the actor so a worker resumes the call.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/value.h"

namespace theater {

class HostOp {
 public:
  // Sets the function's result and wakes the waiting actor. Any thread; the first call wins.
  // Returns false if the op was already complete.
  bool Complete(Value result);
  bool done() const;

  // engine-internal: how the waiting call is woken, and reading the result when it resumes.
  void SetWaker(std::function<void()> waker);
  // Runs on the actor's own thread when its call resumes with the result, before the guest
  // sees it (the runtime records the result there, in order).
  void SetOnResume(std::function<void()> on_resume);
  std::optional<Value> TakeResult();

 private:
  mutable std::mutex mu_;
  bool done_ = false;
  std::optional<Value> result_;
  std::function<void()> waker_;
  std::function<void()> on_resume_;
};

// What an async host function returns: a value now, or a HostOp completed later.
struct HostReturn {
  std::optional<Value> value;
  std::shared_ptr<HostOp> later;

  static HostReturn Now(std::optional<Value> v) { return HostReturn{std::move(v), nullptr}; }
  static HostReturn Later(std::shared_ptr<HostOp> op) { return HostReturn{std::nullopt, std::move(op)}; }
};

}  // namespace theater
