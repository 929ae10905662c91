// How many actors may live at once: in the whole system (SystemOptions::max_actors, of
// which operator_reserve places are kept for actors started from outside, so that a
// runaway tree cannot lock the operator out) and in one supervision tree
// (max_tree_actors). Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"

namespace theater {

class ActorSlots {
 public:
  ActorSlots(size_t max_actors, size_t operator_reserve, size_t max_tree_actors)
      : max_actors_(max_actors), operator_reserve_(operator_reserve), max_tree_actors_(max_tree_actors) {}

  // Counts an actor of the tree rooted at `root` in, or says why not (LimitExceeded). A
  // restart takes back the place the actor had, whatever the limits.
  Status Take(const std::string& root, bool spawned_by_actor, bool restart = false);
  // Counts it out.
  void Release(const std::string& root);

  size_t live() {
    std::lock_guard lock(mu_);
    return live_;
  }
  size_t max_actors() const { return max_actors_; }

 private:
  const size_t max_actors_, operator_reserve_, max_tree_actors_;
  std::mutex mu_;
  size_t live_ = 0;                                     // guarded by mu_
  std::unordered_map<std::string, size_t> tree_live_;  // tree root -> live actors; guarded by mu_
};

}  // namespace theater
