#include "runtime/supervision_tree.h"

#include <algorithm>

namespace theater {

void SupervisionTree::AddChild(const std::string& parent, const std::string& child) {
  std::lock_guard lock(mu_);
  children_[parent].push_back(child);
}

void SupervisionTree::RemoveChild(const std::string& parent, const std::string& child) {
  std::lock_guard lock(mu_);
  auto it = children_.find(parent);
  if (it == children_.end()) return;
  it->second.erase(std::remove(it->second.begin(), it->second.end(), child), it->second.end());
  if (it->second.empty()) children_.erase(it);
}

std::vector<std::string> SupervisionTree::ChildrenOf(const std::string& parent) {
  std::lock_guard lock(mu_);
  auto it = children_.find(parent);
  return it == children_.end() ? std::vector<std::string>() : it->second;
}

bool SupervisionTree::IsChildOf(const std::string& child, const std::string& parent) {
  std::lock_guard lock(mu_);
  auto it = children_.find(parent);
  return it != children_.end() && std::find(it->second.begin(), it->second.end(), child) != it->second.end();
}

void SupervisionTree::Forget(const std::string& parent) {
  std::lock_guard lock(mu_);
  children_.erase(parent);
  restarts_.erase(parent);
}

size_t SupervisionTree::CountRestart(const std::string& parent, const RestartPolicy& policy) {
  auto now = TimerQueue::Clock::now();
  std::lock_guard lock(mu_);
  auto& recent = restarts_[parent];
  while (!recent.empty() && now - recent.front() > policy.window) recent.pop_front();
  size_t earlier = recent.size();
  if (earlier < policy.max_restarts) recent.push_back(now);
  return earlier;
}

}  // namespace theater
