// Reading an actor's state back from its chain: what it was after a given event. The
// chain names each state by its digest (chain/state_ref.h); the bytes come from its
// snapshots (the snapshot file beside the chain, an export's, or an actor's memory).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chain/event.h"
#include "chain/snapshot_source.h"
#include "chain/state_ref.h"
#include "common/status.h"

namespace theater {

// The reference to the state the actor had right after event `seq`: that of the last
// `wasm/result` (or `theater/actor-restarted`, `theater/actor-resumed`) at or before it,
// else its `initial_state`. nullopt inside the Result means "no state".
Result<std::optional<StateRef>> StateRefAtEvent(const std::vector<ChainEvent>& events, uint64_t seq);
// That state's bytes, read from `snapshots` (and checked against the reference).
Result<std::optional<Bytes>> StateAtEvent(const std::vector<ChainEvent>& events, uint64_t seq,
                                          const SnapshotSource& snapshots);
// The last good state: the state after the chain's last successful call.
Result<std::optional<Bytes>> LastGoodState(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots);
// The manifest path recorded in the chain's first event.
Result<std::string> ManifestOf(const std::vector<ChainEvent>& events);

}  // namespace theater
