// The supervision part of ActorSystem: the tree of supervisors and children, what a
// supervisor hears when a child finishes, restart policies and their plans.
#include <algorithm>

#include "runtime/actor_system.h"
#include "runtime/contract.h"

namespace theater {
namespace {

// The contract's wit-error-type for a failure; its data carries the classified cause.
std::string ErrorType(FailureKind kind) {
  switch (kind) {
    case FailureKind::kOutOfFuel:
    case FailureKind::kDeadlineExceeded: return "operation-timeout";
    case FailureKind::kMissingExport: return "function-not-found";
    case FailureKind::kTypeMismatch: return "type-mismatch";
    default: return "internal";
  }
}

Bytes FailureData(const Failure& f) {
  nlohmann::ordered_json j = {{"kind", FailureKindName(f.kind)}, {"function", f.function}, {"message", f.message}};
  return ToBytes(j.dump());
}

}  // namespace

std::vector<std::string> ActorSystem::ChildrenOf(const std::string& parent) { return tree_.ChildrenOf(parent); }

bool ActorSystem::HasLiveChildren(const std::string& parent) {
  for (const auto& id : ChildrenOf(parent))
    if (auto child = Find(id); child && !child->finished()) return true;
  return false;
}

bool ActorSystem::IsChildOf(const std::string& child, const std::string& parent) { return tree_.IsChildOf(child, parent); }

void ActorSystem::StopTree(const std::shared_ptr<Actor>& actor, StopOrigin origin) {
  // Children are asked first; the actor itself waits for them before it finishes. (A
  // child on another node is asked to stop; this actor does not wait for it.)
  for (const auto& id : ChildrenOf(actor->id())) {
    if (auto child = Find(id)) StopTree(child, StopOrigin::kParentStopping);
    else if (router_) router_->Control(actor->id(), id, ChildControl::kStop);
  }
  actor->RequestStop(origin);
}

void ActorSystem::TerminateTree(const std::shared_ptr<Actor>& actor, StopOrigin origin) {
  for (const auto& id : ChildrenOf(actor->id())) {
    if (auto child = Find(id)) TerminateTree(child, StopOrigin::kParentStopping);
    else if (router_) router_->Control(actor->id(), id, ChildControl::kTerminate);
  }
  actor->RequestTermination(origin);
}

Status ActorSystem::StopChild(const std::string& parent, const std::string& child) {
  if (!IsChildOf(child, parent)) return Status::Error("actor " + child + " is not a child of this actor");
  if (IsRemote(child)) {
    router_->Control(parent, child, ChildControl::kStop);
    return Status::Ok();
  }
  auto actor = Find(child);
  if (!actor) return Status::Error("actor " + child + " is not a child of this actor");
  StopTree(actor, StopOrigin::kParent);
  return Status::Ok();
}

Status ActorSystem::RestartChild(const std::string& parent, const std::string& child) {
  if (!IsChildOf(child, parent)) return Status::Error("actor " + child + " is not a child of this actor");
  if (IsRemote(child)) {
    router_->Control(parent, child, ChildControl::kRestart);
    return Status::Ok();
  }
  auto actor = Find(child);
  if (!actor) return Status::Error("actor " + child + " is not a child of this actor");
  RestartNow(actor, "restart-child");
  return Status::Ok();
}

// --- Across nodes ------------------------------------------------------------------------

void ActorSystem::OnRemoteChildFinished(const std::string& parent_id, const ChildNotice& n) {
  auto parent = Find(parent_id);
  if (!parent || parent->finished() || !IsChildOf(n.child, parent_id) || n.parent_stopping) return;
  using K = Envelope::Kind;
  bool tells = parent->Exports(contract::kSupervisorHandlers);
  if (n.failed) {
    if (tells) {
      Envelope notice{K::kChildError, n.data, n.child, std::nullopt};
      notice.error_type = n.error_type;
      parent->Notify(std::move(notice));
    }
    // A node that is gone cannot restart it: the supervisor decides (it may spawn again
    // elsewhere). Otherwise its policy applies, one-for-one.
    const nlohmann::json* settings = parent->permissions().Settings("supervisor");
    RestartPolicy policy = settings ? RestartPolicy::FromSettings(*settings) : RestartPolicy();
    std::chrono::milliseconds backoff{0};
    if (n.node_lost || shutting_down_) {
      RemoveChild(parent_id, n.child);
    } else if (AllowRestart(parent, n.child, "child " + n.child + " failed on another node", policy, backoff)) {
      auto restart = [this, parent_id, child = n.child] {
        if (router_ && IsChildOf(child, parent_id)) router_->Control(parent_id, child, ChildControl::kRestart);
      };
      if (backoff.count() == 0 || !timers_) restart();
      else timers_->At(TimerQueue::Clock::now() + backoff, restart);
    }
  } else {
    if (tells && n.shutdown) {
      Envelope notice{K::kChildExit, n.data, n.child, std::nullopt};
      notice.has_payload = n.has_payload;
      parent->Notify(std::move(notice));
    } else if (tells && n.external_stop) {
      parent->Notify(Envelope{K::kChildExternalStop, {}, n.child, std::nullopt});
    }
    RemoveChild(parent_id, n.child);
  }
  parent->Wake();
}

Status ActorSystem::ControlForRemoteParent(const std::string& parent, const std::string& child, ChildControl what) {
  auto actor = Find(child);
  if (!actor || actor->parent() != parent) return Status::Error("actor " + child + " is not a child of " + parent);
  switch (what) {
    case ChildControl::kStop: StopTree(actor, StopOrigin::kParent); break;
    case ChildControl::kTerminate: TerminateTree(actor, StopOrigin::kParentStopping); break;
    case ChildControl::kRestart: RestartNow(actor, "restart-child"); break;
  }
  return Status::Ok();
}

void ActorSystem::RestartNow(const std::shared_ptr<Actor>& actor, const std::string& why) {
  auto plan = std::make_shared<RestartPlan>();
  plan->parent = actor->parent();
  plan->actors = {actor};
  plan->due = TimerQueue::Clock::now();
  plan->why = why;
  // Read once: once planned, a finished actor restarts at once, and the new instance
  // must not be stopped by what was meant for the old one.
  bool running = !actor->finished();
  if (running) plan->finishing.insert(actor->id());
  Plan(plan);
  if (running) StopTree(actor, StopOrigin::kRestart);
}

void ActorSystem::OnActorFinished(const std::shared_ptr<Actor>& actor, const FinishInfo& info) {
  const std::string& id = actor->id();
  slots_->Release(actor->tree_root());
  // The children of a stopping supervisor stop with kParentStopping; in a shutdown they
  // were running all the same, and a restarted server brings them back.
  StopOrigin origin = shutting_down_ && info.origin == StopOrigin::kParentStopping ? StopOrigin::kShutdown : info.origin;
  NotifyLifecycle(LifecycleEvent::Kind::kFinished, *actor, origin, info.reason, info.failure.has_value());
  requests_->EndAllOf(id, "actor " + id + " stopped before responding");
  LeaveWait(id);
  // It leaves its channels: they close, and the other participants are told.
  LeaveChannels(id);
  // A supervisor that failed or was terminated takes its children with it; a restarted
  // supervisor starts without children.
  for (const auto& child_id : ChildrenOf(id)) {
    if (auto child = Find(child_id); child && !child->finished()) TerminateTree(child, StopOrigin::kParentStopping);
    else if (!child && router_) router_->Control(id, child_id, ChildControl::kTerminate);
  }
  tree_.Forget(id);

  if (AdvancePlans(id)) return;  // stopped to be restarted
  auto parent = actor->parent().empty() ? nullptr : Find(actor->parent());
  if (!parent && !actor->parent().empty() && router_) {  // its supervisor is on another node
    ChildNotice notice;
    notice.child = id;
    notice.parent_stopping = info.origin == StopOrigin::kParentStopping;
    if (info.failure) {
      notice.failed = true;
      notice.error_type = ErrorType(info.failure->kind);
      notice.data = FailureData(*info.failure);
    } else if (info.shutdown) {
      notice.shutdown = true;
      notice.has_payload = info.shutdown_data.has_value();
      notice.data = info.shutdown_data.value_or(Bytes());
    } else {
      notice.external_stop = info.origin == StopOrigin::kOutside;
    }
    router_->ChildFinished(actor->parent(), notice);
    return;
  }
  if (!parent || parent->finished()) {
    if (parent) RemoveChild(parent->id(), id);
    return;
  }
  using K = Envelope::Kind;
  if (info.failure && info.origin != StopOrigin::kParentStopping) {
    if (parent->Exports(contract::kSupervisorHandlers)) {
      Envelope notice{K::kChildError, FailureData(*info.failure), id, std::nullopt};
      notice.error_type = ErrorType(info.failure->kind);
      parent->Notify(std::move(notice));
    }
    ApplyRestartPolicy(parent, actor, *info.failure);
  } else if (info.shutdown) {
    if (parent->Exports(contract::kSupervisorHandlers)) {
      Envelope notice{K::kChildExit, info.shutdown_data.value_or(Bytes()), id, std::nullopt};
      notice.has_payload = info.shutdown_data.has_value();
      parent->Notify(std::move(notice));
    }
    RemoveChild(parent->id(), id);
  } else {
    if (info.origin == StopOrigin::kOutside && parent->Exports(contract::kSupervisorHandlers))
      parent->Notify(Envelope{K::kChildExternalStop, {}, id, std::nullopt});
    RemoveChild(parent->id(), id);
  }
  parent->Wake();  // a supervisor may be waiting for its children to stop
}

void ActorSystem::ApplyRestartPolicy(const std::shared_ptr<Actor>& parent, const std::shared_ptr<Actor>& child,
                                     const Failure& failure) {
  if (shutting_down_) return;
  const nlohmann::json* settings = parent->permissions().Settings("supervisor");
  RestartPolicy policy = settings ? RestartPolicy::FromSettings(*settings) : RestartPolicy();
  auto now = TimerQueue::Clock::now();
  std::chrono::milliseconds backoff{0};
  if (!AllowRestart(parent, child->id(), failure.Describe(), policy, backoff)) return;
  auto plan = std::make_shared<RestartPlan>();
  plan->parent = parent->id();
  plan->due = now + backoff;
  plan->why = failure.Describe();
  plan->last_good_state = policy.restart_with_last_good_state;
  // The group to restart: the child, and for one-for-all / rest-for-one its siblings.
  std::vector<std::string> siblings = ChildrenOf(parent->id());
  auto at = std::find(siblings.begin(), siblings.end(), child->id());
  for (auto it = siblings.begin(); it != siblings.end(); ++it) {
    bool in_group = *it == child->id() || policy.strategy == RestartPolicy::Strategy::kOneForAll ||
                    (policy.strategy == RestartPolicy::Strategy::kRestForOne && at != siblings.end() && it > at);
    if (!in_group) continue;
    auto member = Find(*it);
    if (!member) continue;
    plan->actors.push_back(member);
    if (!member->finished()) plan->finishing.insert(*it);
  }
  Plan(plan);
  for (const auto& member : plan->actors) {
    if (member == child) continue;
    if (!member->finished()) StopTree(member, StopOrigin::kRestart);
  }
}

bool ActorSystem::AllowRestart(const std::shared_ptr<Actor>& parent, const std::string& child, const std::string& why,
                               const RestartPolicy& policy, std::chrono::milliseconds& backoff) {
  size_t earlier = tree_.CountRestart(parent->id(), policy);
  if (earlier < policy.max_restarts) {
    backoff = policy.Backoff(earlier);
    return true;
  }
  // Too many restarts: the supervisor gives up and fails; its own supervisor decides.
  Failure gave_up{FailureKind::kRestartIntensity, "supervision",
                  "restart intensity exceeded: more than " + std::to_string(policy.max_restarts) + " restarts within " +
                      std::to_string(policy.window.count()) + " ms (last: child " + child + ", " + why + ")",
                  {}};
  // (Its children go with it when it has finished: see OnActorFinished.)
  parent->RequestTermination(StopOrigin::kEscalation, gave_up);
  return false;
}

void ActorSystem::Plan(std::shared_ptr<RestartPlan> plan) {
  for (const auto& a : plan->actors) a->MarkRestarting();
  bool ready;
  {
    std::lock_guard lock(plans_mu_);
    plans_.push_back(plan);
    ready = plan->finishing.empty();
  }
  if (ready) RunPlanWhenDue(plan);
}

bool ActorSystem::AdvancePlans(const std::string& finished_id) {
  std::shared_ptr<RestartPlan> ready;
  bool member = false;
  {
    std::lock_guard lock(plans_mu_);
    for (const auto& plan : plans_) {
      if (plan->finishing.erase(finished_id)) {
        member = true;
        if (plan->finishing.empty()) ready = plan;
        break;
      }
    }
  }
  if (auto actor = Find(finished_id); actor && member) actor->MarkRestarting();
  if (ready) RunPlanWhenDue(ready);
  return member;
}

void ActorSystem::RunPlanWhenDue(const std::shared_ptr<RestartPlan>& plan) {
  if (TimerQueue::Clock::now() >= plan->due || !timers_) {
    RunPlan(plan);
    return;
  }
  timers_->At(plan->due, [this, plan] { RunPlan(plan); });
}

void ActorSystem::RunPlan(const std::shared_ptr<RestartPlan>& plan) {
  {
    std::lock_guard lock(plans_mu_);
    plans_.erase(std::remove(plans_.begin(), plans_.end(), plan), plans_.end());
  }
  auto parent = Find(plan->parent);
  // A top-level actor (restarted from outside) has no supervisor to wait for.
  // A parent on another node asked for the restart itself.
  bool remote_parent = !plan->parent.empty() && !parent && router_;
  bool go = !shutting_down_ && (plan->parent.empty() || remote_parent ||
                                (parent && !parent->finished() && parent->status() == ActorStatus::kRunning));
  for (const auto& actor : plan->actors) {
    if (!go) {
      // The supervisor is gone or going: its children stay stopped.
      RemoveChild(plan->parent, actor->id());
      continue;
    }
    (void)slots_->Take(actor->tree_root(), !actor->parent().empty(), /*restart=*/true);
    NotifyLifecycle(LifecycleEvent::Kind::kRestarted, *actor, StopOrigin::kRestart, plan->why);
    actor->Restart(engine_, plan->last_good_state, plan->why);
  }
}

}  // namespace theater
