#include "runtime/observer_table.h"

#include <vector>

namespace theater {

uint64_t ObserverTable::Add(const std::string& actor_id, EventObserver observer) {
  std::lock_guard lock(mu_);
  uint64_t token = next_token_++;
  observers_.emplace(actor_id, std::make_pair(token, std::move(observer)));
  count_.store(observers_.size());
  return token;
}

void ObserverTable::Remove(uint64_t token) {
  std::lock_guard lock(mu_);
  for (auto it = observers_.begin(); it != observers_.end(); ++it) {
    if (it->second.first != token) continue;
    observers_.erase(it);
    break;
  }
  count_.store(observers_.size());
}

void ObserverTable::PublishToSome(const std::string& actor_id, const ChainEvent& event) {
  std::vector<EventObserver> observers;
  {
    std::lock_guard lock(mu_);
    auto [begin, end] = observers_.equal_range(actor_id);
    for (auto it = begin; it != end; ++it) observers.push_back(it->second.second);
  }
  for (const auto& observe : observers) observe(actor_id, event);
}

}  // namespace theater
