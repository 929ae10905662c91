// Inclusion proofs: one event, shown to be in a chain without the chain.
//
// A proof carries the event (its canonical encoding), its place, the tree size and Merkle
// root of a checkpoint (chain/checkpoint.h) and the audit path between them; when the
// checkpoint is signed, its signature too. Checking it needs the proof alone: the event's
// hash, the path up to the root, and the signature (or a root the checker already trusts).
// Written as JSON (docs/chain-format.md, section 8.3).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/checkpoint.h"
#include "chain/event.h"

namespace theater {

inline constexpr char kInclusionProofFormat[] = "theater-inclusion-proof/1";

struct InclusionProof {
  std::string actor_id;
  uint64_t seq = 0;
  Bytes event;                // its canonical encoding
  uint64_t tree_size = 0;
  Hash root{};
  std::vector<Hash> path;
  std::optional<Checkpoint> checkpoint;  // the checkpoint whose root this is, when it is one
};

// Proves event `seq` of a verified chain (its events and checkpoints) against the tree of
// `tree_size` events: by default the last checkpoint that covers it, else the whole chain.
Result<InclusionProof> ProveInclusion(std::string actor_id, std::span<const ChainEvent> events,
                                      std::span<const Checkpoint> checkpoints, uint64_t seq,
                                      std::optional<uint64_t> tree_size = std::nullopt);

nlohmann::ordered_json InclusionProofToJson(const InclusionProof& proof);
Result<InclusionProof> InclusionProofFromJson(const nlohmann::json& json);

struct ProofCheck {
  bool ok = false;             // consistent, and what was required holds
  std::string reason;          // why not
  ChainEvent event;            // the event proven (decoded)
  bool root_signed = false;    // a valid signature (by whatever key the proof names) vouches for the root
  // The root is vouched for by something the checker gave: signed by `trusted_key`, or
  // equal to `trusted_root`. A proof that is only consistent proves nothing: anyone can
  // make a consistent proof, and sign it with a key of their own, for an event that never was.
  bool trusted = false;
};
// Checks a proof: the event decodes and is number `seq`, the path leads from it to the
// root, a signature (if any) is valid; with `trusted_key`, the root must be signed by it;
// with `trusted_root`, the root must be that one. `ok` without either means consistent
// only (`trusted` is false).
ProofCheck CheckInclusionProof(const InclusionProof& proof, const std::optional<Ed25519PublicKey>& trusted_key,
                               const std::optional<Hash>& trusted_root);

}  // namespace theater
