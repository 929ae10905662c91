// Reading an actor's state back from its chain: what it was after a given event.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chain/event.h"
#include "common/status.h"

namespace theater {

// The state the actor had right after event `seq`: the state of the last `wasm/result`
// (or `theater/actor-restarted`, `theater/actor-resumed`) at or before it, else its
// `initial_state`. nullopt inside the Result means "no state".
Result<std::optional<Bytes>> StateAtEvent(const std::vector<ChainEvent>& events, uint64_t seq);
// The last good state: the state after the chain's last successful call.
Result<std::optional<Bytes>> LastGoodState(const std::vector<ChainEvent>& events);
// The manifest path recorded in the chain's first event.
Result<std::string> ManifestOf(const std::vector<ChainEvent>& events);

}  // namespace theater
