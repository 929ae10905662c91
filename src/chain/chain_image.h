// A chain as it is handed around: a chain file with its checkpoint and snapshot files
// beside it, or an export that packs them with the actor's id, the component's hash and
// (optionally) the component itself, so it can be verified and replayed on another machine.
//
// The export file (docs/chain-format.md, section 9): "THEXPRT2" followed by sections, each
//   tag (1 byte) | length (u64 BE) | content
// with tags 'A' actor id, 'H' component SHA-256 (hex), 'C' chain file, 'K' checkpoint file
// (optional), 'S' a snapshot file with the states the chain names (required when it names
// any), 'W' the component (optional); each at most once, in any order.
//
// Everything here uses only the documented formats, SHA-256 and Ed25519: none of the
// runtime. It is the independent verifier.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/chain_file.h"
#include "chain/checkpoint.h"
#include "chain/signed_head.h"
#include "chain/snapshot_file.h"

namespace theater {

// Version 2 carries snapshots ('S') and a chain of format 2; version 1 is refused.
inline constexpr char kExportFileMagic[] = "THEXPRT2";
inline constexpr char kExportFileMagicV1[] = "THEXPRT1";

struct ChainImage {
  std::filesystem::path path;          // where it was read from
  bool exported = false;               // read from an export
  std::string actor_id;                // an export's; else the chain file's name
  std::string component_sha256;        // an export's
  Bytes chain;                         // a chain file image
  std::optional<Bytes> checkpoints;    // a checkpoint file image
  std::optional<Bytes> snapshots;      // an export's snapshot file image (a chain file's is read from disk)
  std::optional<Bytes> component;      // an export may carry the component
};

// <dir>/<id>.chain -> <dir>/<id>.checkpoints
std::filesystem::path CheckpointPathFor(const std::filesystem::path& chain_path);

// Reads a chain file (and its checkpoint file, when there is one) or an export.
Result<ChainImage> ReadChainImage(const std::filesystem::path& path);
// The states the image's chain names: an export's section 'S', or the snapshot file
// beside a chain file (none there: an empty set).
Result<std::unique_ptr<SnapshotFile>> OpenSnapshots(const ChainImage& image);

Bytes EncodeExport(const ChainImage& image);
Result<ChainImage> DecodeExport(std::span<const uint8_t> file);

// What a verification requires beyond a chain that is whole and consistent.
struct VerifyOptions {
  // Every checkpoint must be signed by this key, there must be one, and (unless
  // allow_unsigned_tail) the last one must cover every event.
  std::optional<Ed25519PublicKey> required_signer;
  // Events after the last signed checkpoint (a chain still being written, or cut off by a
  // crash) are reported, not a failure.
  bool allow_unsigned_tail = false;
  // Set when the chain was asked for by actor id: its theater/actor-started must name it.
  std::string expected_actor_id;
  // A head published earlier (signed_head.h): the chain must still hold what it covers.
  const SignedHead* expected_head = nullptr;
};

// Everything verification found.
struct ChainVerification {
  VerifyReport chain;
  std::optional<CheckpointFile> checkpoint_file;    // parsed, when there is one
  std::optional<CheckpointReport> checkpoints;     // when there is a checkpoint file
  std::string actor_id;                            // as its theater/actor-started names it, else the image's
  // Events after the last checkpoint with a valid signature (by the required key, when
  // one is given): nothing but the chain's own hashes protects them.
  uint64_t unsigned_events = 0;
  bool head_matched = false;                       // the expected head holds
  std::optional<SnapshotCheck> snapshots;          // the states the chain names (when it verified)
  std::vector<std::string> problems;               // anything else that does not fit (export header, ids)
  bool ok() const {
    return chain.ok && (!checkpoints || checkpoints->ok) && (!snapshots || snapshots->ok) && problems.empty();
  }
};

// Verifies the chain (chain/chain_file.h), its checkpoints against it, that every state it
// names is in its snapshots with that digest and size, that an export's header matches its
// chain and component, and what `options` asks for.
ChainVerification VerifyChainImage(const ChainImage& image, const VerifyOptions& options,
                                   std::vector<ChainEvent>* events_out = nullptr,
                                   std::vector<Hash>* hashes_out = nullptr);
// The same with only a required signer (no unsigned tail allowed).
ChainVerification VerifyChainImage(const ChainImage& image,
                                   const std::optional<Ed25519PublicKey>& required_signer = std::nullopt,
                                   std::vector<ChainEvent>* events_out = nullptr,
                                   std::vector<Hash>* hashes_out = nullptr);

// The first reason a verification failed, for messages ("" when it passed).
std::string FirstProblem(const ChainVerification& v);

// A chain that verifies, with the snapshots of every state it names: what a replay needs.
struct VerifiedChain {
  ChainImage image;
  std::vector<ChainEvent> events;
  std::shared_ptr<SnapshotFile> snapshots;
};
// Reads the chain (file or export) at `path`, verifies it with its checkpoints (its actor
// must be `expected_actor_id` unless that is empty) and opens its snapshots; an error says
// why it does not verify.
Result<VerifiedChain> ReadVerifiedChain(const std::filesystem::path& path, const std::string& expected_actor_id);

}  // namespace theater
