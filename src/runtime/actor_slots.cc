#include "runtime/actor_slots.h"

namespace theater {

Status ActorSlots::Take(const std::string& root, bool spawned_by_actor, bool restart) {
  std::lock_guard lock(mu_);
  size_t& in_tree = tree_live_[root];
  if (!restart) {
    size_t limit = spawned_by_actor ? max_actors_ - operator_reserve_ : max_actors_;
    if (live_ >= limit) {
      if (in_tree == 0) tree_live_.erase(root);
      if (spawned_by_actor)
        return Status::LimitExceeded("too many actors: " + std::to_string(live_) + " are running, and the last " +
                                     std::to_string(operator_reserve_) + " of " + std::to_string(max_actors_) +
                                     " places are kept for actors started from outside");
      return Status::LimitExceeded("too many actors: " + std::to_string(max_actors_) +
                                   " are running (the limit follows vm.max_map_count; raise it with "
                                   "`sysctl -w vm.max_map_count=262144` for more)");
    }
    if (max_tree_actors_ && in_tree >= max_tree_actors_) {
      return Status::LimitExceeded("too many actors in this supervision tree: top-level actor " + root + " and its "
                                   "descendants are " + std::to_string(in_tree) + " (max_tree_actors " +
                                   std::to_string(max_tree_actors_) + ")");
    }
  }
  ++live_;
  ++in_tree;
  return Status::Ok();
}

void ActorSlots::Release(const std::string& root) {
  std::lock_guard lock(mu_);
  --live_;
  auto it = tree_live_.find(root);
  if (it != tree_live_.end() && --it->second == 0) tree_live_.erase(it);
}

}  // namespace theater
