// Who supervises whom: each parent's children in the order they were started, and each
// parent's recent restarts (for its restart policy's intensity). Only the shape: what is
// done to the actors (stops, restarts, restart plans) is ActorSystem's (supervision.cc).
// Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/restart_policy.h"
#include "runtime/timer_queue.h"

namespace theater {

class SupervisionTree {
 public:
  void AddChild(const std::string& parent, const std::string& child);
  void RemoveChild(const std::string& parent, const std::string& child);
  std::vector<std::string> ChildrenOf(const std::string& parent);  // in the order started
  bool IsChildOf(const std::string& child, const std::string& parent);
  // Forgets `parent`'s children and its restarts (it finished).
  void Forget(const std::string& parent);
  // Counts a restart by `parent` now, if `policy` allows one more within its window.
  // Returns how many it made in the window before this one: max_restarts or more means
  // it was not counted (too many).
  size_t CountRestart(const std::string& parent, const RestartPolicy& policy);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::string>> children_;             // parent -> children, in order
  std::unordered_map<std::string, std::deque<TimerQueue::Clock::time_point>> restarts_;  // parent -> recent restarts
};

}  // namespace theater
