#include "runtime/actor_context.h"

#include <chrono>

namespace theater {

uint64_t NowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool AwaitedCall::Complete(Value result, ordered_json recorded, std::optional<Cause> cause) {
  {
    std::lock_guard lock(mu_);
    if (completed_) return false;
    completed_ = true;
    recorded_ = std::move(recorded);
    cause_ = std::move(cause);
  }
  return op_->Complete(std::move(result));
}

ordered_json AwaitedCall::DoneData() {
  std::lock_guard lock(mu_);
  ordered_json data = details_;
  data["result"] = recorded_;
  if (cause_) data["cause"] = cause_->ToJson();
  return data;
}

Result<Hash> ActorContext::Record(std::string type, const ordered_json& data) {
  return RecordRaw(std::move(type), ordered_json::to_cbor(data));
}

Result<Hash> ActorContext::RecordRaw(std::string type, Bytes data) {
  uint64_t now = clock_ ? clock_() : NowMs();
  std::lock_guard lock(chain_mu_);
  auto appended = chain_.Append(std::move(type), std::move(data), now);
  if (!appended.ok()) return appended.status();
  return (*appended)->hash;
}

bool ActorContext::ReleaseEffects() {
  if (deferred_.empty()) return true;
  if (!Flush().ok()) {
    deferred_.clear();
    return false;
  }
  std::vector<std::function<void()>> effects;
  effects.swap(deferred_);
  for (auto& effect : effects) effect();
  return true;
}

void ActorContext::Await(std::shared_ptr<AwaitedCall> call) {
  call->op()->SetOnResume([this] { RecordAwaitedIfDone(); });
  awaited_ = std::move(call);
}

void ActorContext::RecordAwaitedIfDone() {
  if (!awaited_ || !awaited_->op()->done()) return;
  Record(awaited_->event_type() + "/done", awaited_->DoneData());
  awaited_.reset();
}

}  // namespace theater

namespace theater {

std::vector<ChainEvent> ActorContext::CopyEvents() const {
  std::lock_guard lock(chain_mu_);
  return chain_.events();
}

std::pair<size_t, std::optional<Hash>> ActorContext::Head() const {
  std::lock_guard lock(chain_mu_);
  return {chain_.size(), chain_.head()};
}

}  // namespace theater
