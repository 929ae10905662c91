// Checkpoints: Merkle tree heads (chain/merkle.h) over the first N events of a chain, made
// periodically while the chain is written, and optionally signed with an Ed25519 key.
//
// A chain's own hashes show that nothing in it was changed, but whoever can rewrite the
// whole file can recompute them all. A signed checkpoint cannot be recomputed without the
// key: it pins the first N events for anyone who trusts the public key, and it lets one
// event be proven (an inclusion proof) without handing out the chain.
//
// The checkpoint file, <actor-id>.checkpoints beside the chain file (docs/chain-format.md,
// section 8):  "THCKPT01" | actor id length (u32 BE) | actor id | records, each
//   length L (u32 BE) | tree size (u64) | root (32) | timestamp_ms (u64) | signed (u8 0/1)
//   [| public key (32) | signature (64)]
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/ed25519.h"
#include "common/sha256.h"
#include "common/status.h"

namespace theater {

inline constexpr char kCheckpointFileMagic[] = "THCKPT01";

struct Checkpoint {
  uint64_t tree_size = 0;  // events covered: seq 0 .. tree_size-1
  Hash root{};             // their Merkle root
  uint64_t timestamp_ms = 0;
  std::optional<Ed25519PublicKey> signer;  // set when signed
  Ed25519Signature signature{};

  bool operator==(const Checkpoint&) const = default;
};

// The bytes a checkpoint's signature covers:
//   "theater-checkpoint-v1" 0x00 | actor id length (u32) | actor id | tree size (u64)
//   | root (32) | timestamp_ms (u64)
Bytes CheckpointStatement(std::string_view actor_id, const Checkpoint& checkpoint);
// Signs `checkpoint` (sets signer and signature).
void SignCheckpoint(std::string_view actor_id, const Ed25519Key& key, Checkpoint& checkpoint);
bool CheckpointSignatureValid(std::string_view actor_id, const Checkpoint& checkpoint);

Bytes EncodeCheckpointFileHeader(std::string_view actor_id);
Bytes EncodeCheckpointRecord(const Checkpoint& checkpoint);

struct CheckpointFile {
  std::string actor_id;
  std::vector<Checkpoint> checkpoints;
  uint64_t valid_bytes = 0;  // up to the end of the last whole record
  std::string torn;          // why the bytes after valid_bytes are not a record (a torn tail)
};
// Parses a checkpoint file image. A last record cut short is reported in `torn`, not as an
// error; anything else malformed is an error.
Result<CheckpointFile> ParseCheckpointFile(std::span<const uint8_t> file);

// Checks checkpoints against a verified chain: tree sizes grow, none claims more events
// than the chain has, each root is the Merkle root of that many events, each signature is
// valid, and (when `required_signer`) every checkpoint is signed by that key.
struct CheckpointReport {
  bool ok = false;
  size_t checked = 0;                       // checkpoints that matched
  uint64_t covered = 0;                     // tree size of the last one
  size_t signed_count = 0;
  // Tree size of the last checkpoint with a valid signature (by `required_signer` when
  // given): the events after it are covered by no signature.
  uint64_t signed_covered = 0;
  std::optional<Ed25519PublicKey> signer;   // the key of the signed ones, when only one key signed
  std::string reason;                       // the first failure
};
CheckpointReport VerifyCheckpoints(const CheckpointFile& file, std::span<const Hash> event_hashes,
                                   const std::optional<Ed25519PublicKey>& required_signer = std::nullopt);

}  // namespace theater
