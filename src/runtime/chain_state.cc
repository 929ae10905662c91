#include "runtime/chain_state.h"

#include <nlohmann/json.hpp>

#include "chain/event_data.h"

namespace theater {

Result<std::optional<StateRef>> StateRefAtEvent(const std::vector<ChainEvent>& events, uint64_t seq) {
  if (events.empty()) return Status::Error("the chain is empty");
  if (seq >= events.size())
    return Status::Error("the chain has no event " + std::to_string(seq) + " (it has " + std::to_string(events.size()) +
                         " events)");
  // The last event at or before `seq` that sets the state decides it.
  for (uint64_t i = seq + 1; i-- > 0;) {
    auto recorded = StateRecordedBy(events[i]);
    if (!recorded.ok()) return recorded.status();
    if (recorded->sets) return recorded->ref;
  }
  return std::optional<StateRef>();
}

Result<std::optional<Bytes>> StateAtEvent(const std::vector<ChainEvent>& events, uint64_t seq,
                                          const SnapshotSource& snapshots) {
  auto ref = StateRefAtEvent(events, seq);
  if (!ref.ok()) return ref.status();
  if (!*ref) return std::optional<Bytes>();
  auto bytes = snapshots.Read(**ref);
  if (!bytes.ok()) return bytes.status().WithContext("the state after event " + std::to_string(seq));
  return std::optional<Bytes>(std::move(*bytes));
}

Result<std::optional<Bytes>> LastGoodState(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots) {
  if (events.empty()) return Status::Error("the chain is empty");
  return StateAtEvent(events, events.size() - 1, snapshots);
}

Result<std::string> ManifestOf(const std::vector<ChainEvent>& events) {
  if (events.empty() || events[0].type != "theater/actor-started")
    return Status::Error("the chain does not start with theater/actor-started");
  auto data = DecodeEventData(events[0].data);
  if (data.is_discarded() || !data.contains("manifest") || !data["manifest"].is_string())
    return Status::Error("the chain's first event names no manifest");
  return data["manifest"].get<std::string>();
}

}  // namespace theater
