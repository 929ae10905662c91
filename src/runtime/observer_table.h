// Who watches which actor's chain (ActorSystem::Observe): a server's subscribed clients,
// the dashboard. Publishing costs one atomic load while nobody watches. Thread-safe;
// observers are called outside the lock, on the recording actor's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "runtime/outside.h"

namespace theater {

class ObserverTable {
 public:
  // Returns a token for Remove.
  uint64_t Add(const std::string& actor_id, EventObserver observer);
  void Remove(uint64_t token);
  void Publish(const std::string& actor_id, const ChainEvent& event) {
    if (count_.load(std::memory_order_relaxed) > 0) PublishToSome(actor_id, event);
  }

 private:
  void PublishToSome(const std::string& actor_id, const ChainEvent& event);
  std::mutex mu_;
  std::unordered_multimap<std::string, std::pair<uint64_t, EventObserver>> observers_;  // actor id -> observers
  uint64_t next_token_ = 1;
  std::atomic<size_t> count_{0};
};

}  // namespace theater
