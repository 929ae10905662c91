// How an event names a state: by its SHA-256 and size, never by its bytes
// (docs/chain-format.md, section 6.1). The bytes are in the actor's snapshot file
// (chain/snapshot_file.h), so an event stays small whatever the state's size.
//
// In event data a state is `null` (no state) or the map
//   {"sha256": <64 lower-case hex digits>, "size": <unsigned integer>}.
// These events carry one: theater/actor-started (`initial_state`), wasm/result,
// theater/actor-restarted and theater/actor-resumed (`state`).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cbor_writer.h"
#include "chain/event.h"
#include "common/status.h"

namespace theater {

struct StateRef {
  Hash sha256{};
  uint64_t size = 0;
  bool operator==(const StateRef&) const = default;
};

// The reference to `bytes` (hashes them).
StateRef StateRefOf(std::span<const uint8_t> bytes);
std::optional<StateRef> OptionalStateRefOf(const std::optional<Bytes>& state);

// null, or {"sha256": hex, "size": n}.
nlohmann::ordered_json StateRefToJson(const std::optional<StateRef>& ref);
// The same, written straight as CBOR (the bytes to_cbor(StateRefToJson(ref)) gives).
void WriteStateRef(CborWriter& w, const std::optional<StateRef>& ref);
// Reads what StateRefToJson writes; anything else is an error saying what is wrong.
Result<std::optional<StateRef>> StateRefFromJson(const nlohmann::json& value);

// The data field that holds an event type's state ("initial_state" or "state"), or
// nullptr for an event type that carries none.
const char* StateFieldOf(const std::string& event_type);

// What an event says about the actor's state.
struct RecordedState {
  bool sets = false;                // the event carries a state (it may be null: no state)
  std::optional<StateRef> ref;      // the state it names, when not null
};
// The state `event` records. An event of a type that carries a state must have the field
// in the shape above, or none (read as null); an error names what it has instead (e.g.
// bytes inline, or data that is not CBOR).
Result<RecordedState> StateRecordedBy(const ChainEvent& event);

// Every snapshot `event` needs: the state it records, and the byte strings its data names
// by reference (section 6.2), in the order they appear; an error when its data is not
// readable.
Result<std::vector<StateRef>> SnapshotsNamedBy(const ChainEvent& event);

}  // namespace theater
