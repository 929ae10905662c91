// Where the bytes of recorded states come from: an actor's snapshot file, an export's
// snapshots, or (for an actor whose chain is kept only in memory) memory.
#pragma once

#include "chain/state_ref.h"
#include "common/bytes.h"
#include "common/status.h"

namespace theater {

class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // The bytes of the state `ref` names. An implementation checks them against the
  // reference (size and SHA-256) before handing them out: an error says which snapshot
  // is missing or does not match.
  virtual Result<Bytes> Read(const StateRef& ref) const = 0;
};

// Checks `bytes` read for `ref`: the error (for `where`, e.g. the file) when they are not its state.
Status CheckSnapshotBytes(const StateRef& ref, std::span<const uint8_t> bytes, const std::string& where);

}  // namespace theater
