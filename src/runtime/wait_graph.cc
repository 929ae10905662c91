#include "runtime/wait_graph.h"

namespace theater {

Status WaitGraph::Enter(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  std::string path = from + " -> " + to;
  std::string current = to;
  for (size_t steps = 0; steps <= waiting_on_.size(); ++steps) {
    if (current == from) return Status::Error("request cycle: " + path);
    auto next = waiting_on_.find(current);
    if (next == waiting_on_.end()) break;
    current = next->second;
    path += " -> " + current;
  }
  waiting_on_[from] = to;
  return Status::Ok();
}

void WaitGraph::Leave(const std::string& from) {
  std::lock_guard lock(mu_);
  waiting_on_.erase(from);
}

}  // namespace theater
