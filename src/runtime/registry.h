// Things known by id, shared between threads: the actor system's actors (ActorRegistry)
// and its outside endpoints. Lookups take a shared lock; nothing is called under it.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace theater {

template <typename T>
class Registry {
 public:
  // nullptr when there is none.
  std::shared_ptr<T> Find(const std::string& id) const {
    std::shared_lock lock(mu_);
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : it->second;
  }
  bool Contains(const std::string& id) const {
    std::shared_lock lock(mu_);
    return items_.count(id) > 0;
  }
  // False (and nothing added) when `id` is taken.
  bool Add(const std::string& id, std::shared_ptr<T> item) {
    std::unique_lock lock(mu_);
    return items_.try_emplace(id, std::move(item)).second;
  }
  void Remove(const std::string& id) {
    std::unique_lock lock(mu_);
    items_.erase(id);
  }
  // A copy of every item, to work on without the lock.
  std::vector<std::shared_ptr<T>> All() const {
    std::shared_lock lock(mu_);
    std::vector<std::shared_ptr<T>> all;
    all.reserve(items_.size());
    for (const auto& [id, item] : items_) all.push_back(item);
    return all;
  }

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<T>> items_;
};

class Actor;
using ActorRegistry = Registry<Actor>;

}  // namespace theater
