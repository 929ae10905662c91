// One event of an actor's chain and its hash. The canonical encoding below is the whole
// definition of the hash; docs/chain-format.md documents it byte by byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/sha256.h"

namespace theater {

struct ChainEvent {
  uint64_t seq = 0;               // 0 for the first event, then +1
  std::optional<Hash> parent;     // hash of event seq-1; none for the first event
  uint64_t timestamp_ms = 0;      // Unix time in milliseconds, when recorded
  std::string type;               // e.g. "wasm/call", "theater:simple/runtime/log"
  Bytes data;                     // CBOR document (see docs/chain-format.md)
  Hash hash{};                    // SHA-256 of CanonicalEncoding(*this)

  bool operator==(const ChainEvent&) const = default;
};

// seq (u64 BE) | parent flag (u8: 0/1) [| parent (32 bytes)] | timestamp_ms (u64 BE)
// | type length (u32 BE) | type (UTF-8) | data length (u64 BE) | data
Bytes CanonicalEncoding(const ChainEvent& event);
Hash ComputeEventHash(const ChainEvent& event);

// The first 8 bytes of a hash as a big-endian u64 (the `hash: u64` of theater:simple/types).
uint64_t ShortHash(const Hash& hash);

}  // namespace theater
