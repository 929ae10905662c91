#include "engine/host_op.h"

namespace theater {

bool HostOp::Complete(Value result) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (done_) return false;
    done_ = true;
    result_ = std::move(result);
    wake = waker_;
  }
  if (wake) wake();
  return true;
}

bool HostOp::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

void HostOp::SetWaker(std::function<void()> waker) {
  std::lock_guard lock(mu_);
  waker_ = std::move(waker);
}

void HostOp::SetOnResume(std::function<void()> on_resume) {
  std::lock_guard lock(mu_);
  on_resume_ = std::move(on_resume);
}

std::optional<Value> HostOp::TakeResult() {
  std::function<void()> resume;
  std::optional<Value> result;
  {
    std::lock_guard lock(mu_);
    resume = std::move(on_resume_);
    result = std::move(result_);
  }
  if (resume) resume();
  return result;
}

}  // namespace theater
