#include "runtime/chain_state.h"

#include <nlohmann/json.hpp>

#include "chain/event_data.h"

namespace theater {
namespace {

// The state an event sets, if it sets one: `true` in the pair when it does.
std::pair<bool, std::optional<Bytes>> StateSetBy(const ChainEvent& e) {
  const char* field = e.type == "wasm/result"              ? "state"
                      : e.type == "theater/actor-restarted" ? "state"
                      : e.type == "theater/actor-resumed"   ? "state"
                      : e.type == "theater/actor-started"   ? "initial_state"
                                                            : nullptr;
  if (!field) return {false, std::nullopt};
  auto data = DecodeEventData(e.data);
  if (data.is_discarded() || !data.contains(field)) return {false, std::nullopt};
  const auto& value = data[field];
  if (value.is_binary()) return {true, Bytes(value.get_binary().begin(), value.get_binary().end())};
  return {true, std::nullopt};
}

}  // namespace

Result<std::optional<Bytes>> StateAtEvent(const std::vector<ChainEvent>& events, uint64_t seq) {
  if (events.empty()) return Status::Error("the chain is empty");
  if (seq >= events.size())
    return Status::Error("the chain has no event " + std::to_string(seq) + " (it has " + std::to_string(events.size()) +
                         " events)");
  std::optional<Bytes> state;
  for (uint64_t i = 0; i <= seq; ++i) {
    auto [sets, value] = StateSetBy(events[i]);
    if (sets) state = std::move(value);
  }
  return state;
}

Result<std::optional<Bytes>> LastGoodState(const std::vector<ChainEvent>& events) {
  if (events.empty()) return Status::Error("the chain is empty");
  return StateAtEvent(events, events.size() - 1);
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
