#include "chain/checkpoint.h"

#include <cstring>

#include "chain/byte_io.h"
#include "chain/merkle.h"

namespace theater {

namespace {

constexpr std::string_view kStatementDomain = "theater-checkpoint-v1";
constexpr size_t kUnsignedRecord = 8 + 32 + 8 + 1;
constexpr size_t kSignedRecord = kUnsignedRecord + 32 + 64;

}  // namespace

Bytes CheckpointStatement(std::string_view actor_id, const Checkpoint& c) {
  Bytes out(kStatementDomain.begin(), kStatementDomain.end());
  out.push_back(0x00);
  PutUint(out, actor_id.size(), 4);
  PutBytes(out, ToBytes(actor_id));
  PutUint(out, c.tree_size, 8);
  PutBytes(out, c.root);
  PutUint(out, c.timestamp_ms, 8);
  return out;
}

void SignCheckpoint(std::string_view actor_id, const Ed25519Key& key, Checkpoint& c) {
  c.signer = key.public_key();
  c.signature = key.Sign(CheckpointStatement(actor_id, c));
}

bool CheckpointSignatureValid(std::string_view actor_id, const Checkpoint& c) {
  return c.signer && VerifyEd25519(*c.signer, CheckpointStatement(actor_id, c), c.signature);
}

Bytes EncodeCheckpointFileHeader(std::string_view actor_id) {
  Bytes out(kCheckpointFileMagic, kCheckpointFileMagic + 8);
  PutUint(out, actor_id.size(), 4);
  PutBytes(out, ToBytes(actor_id));
  return out;
}

Bytes EncodeCheckpointRecord(const Checkpoint& c) {
  Bytes out;
  PutUint(out, c.signer ? kSignedRecord : kUnsignedRecord, 4);
  PutUint(out, c.tree_size, 8);
  PutBytes(out, c.root);
  PutUint(out, c.timestamp_ms, 8);
  out.push_back(c.signer ? 1 : 0);
  if (c.signer) {
    PutBytes(out, *c.signer);
    PutBytes(out, c.signature);
  }
  return out;
}

Result<CheckpointFile> ParseCheckpointFile(std::span<const uint8_t> file) {
  CheckpointFile out;
  // A crash while the header was first written leaves part of it: no checkpoint yet, a
  // torn tail from byte 0 (recovery removes the file).
  auto torn_header = [&] {
    out.torn = "the header is cut short (" + std::to_string(file.size()) + " bytes)";
    return out;
  };
  // (An empty file has no data pointer to compare: memcmp must not see it.)
  if (file.size() < 8 && (file.empty() || std::memcmp(file.data(), kCheckpointFileMagic, file.size()) == 0))
    return torn_header();
  if (file.size() < 8 || std::memcmp(file.data(), kCheckpointFileMagic, 8) != 0)
    return Status::Error("not a checkpoint file (missing THCKPT01 header)");
  ByteReader r(file.subspan(8));
  if (!r.Need(4)) return torn_header();
  uint64_t id_len = r.Uint(4);
  if (id_len > 1024) return Status::Error("checkpoint file header: an actor id of " + std::to_string(id_len) + " bytes");
  if (!r.Need(id_len)) return torn_header();
  auto id = r.Take(id_len);
  // Ids go into JSON (proofs, heads), which has no way to carry anything but UTF-8.
  if (!IsValidUtf8(id)) return Status::Error("checkpoint file header: the actor id is not valid UTF-8");
  out.actor_id.assign(id.begin(), id.end());
  out.valid_bytes = 8 + r.pos();
  while (!r.done()) {
    size_t offset = 8 + r.pos();
    std::string where = "checkpoint " + std::to_string(out.checkpoints.size()) + " (byte offset " +
                        std::to_string(offset) + ")";
    if (!r.Need(4)) {
      out.torn = where + ": truncated record";
      break;
    }
    uint64_t len = r.Uint(4);
    if (len != kUnsignedRecord && len != kSignedRecord)
      return Status::Error(where + ": record length " + std::to_string(len) + " is neither " +
                           std::to_string(kUnsignedRecord) + " nor " + std::to_string(kSignedRecord));
    if (!r.Need(len)) {
      out.torn = where + ": truncated record";
      break;
    }
    Checkpoint c;
    c.tree_size = r.Uint(8);
    c.root = r.TakeArray<32>();
    c.timestamp_ms = r.Uint(8);
    uint64_t flag = r.Uint(1);
    if (flag != (len == kSignedRecord ? 1u : 0u))
      return Status::Error(where + ": signed flag " + std::to_string(flag) + " does not fit its length");
    if (flag) {
      c.signer = r.TakeArray<32>();
      c.signature = r.TakeArray<64>();
    }
    out.checkpoints.push_back(c);
    out.valid_bytes = 8 + r.pos();
  }
  return out;
}

CheckpointReport VerifyCheckpoints(const CheckpointFile& file, std::span<const Hash> event_hashes,
                                   const std::optional<Ed25519PublicKey>& required_signer) {
  CheckpointReport report;
  auto fail = [&](size_t i, std::string why) {
    report.reason = "checkpoint " + std::to_string(i) + ": " + why;
    return report;
  };
  MerkleFrontier tree;
  bool one_signer = true;
  for (size_t i = 0; i < file.checkpoints.size(); ++i) {
    const Checkpoint& c = file.checkpoints[i];
    if (c.tree_size == 0) return fail(i, "tree size 0: a checkpoint covers at least one event");
    if (c.tree_size <= tree.size())
      return fail(i, "tree size " + std::to_string(c.tree_size) + " does not follow the previous one");
    if (c.tree_size > event_hashes.size())
      return fail(i, "covers " + std::to_string(c.tree_size) + " events, the chain has only " +
                         std::to_string(event_hashes.size()) + " (events were cut off its end)");
    while (tree.size() < c.tree_size) tree.Add(MerkleLeafHash(event_hashes[tree.size()]));
    if (tree.Root() != c.root)
      return fail(i, "root " + ToHex(c.root) + " is not the Merkle root of the first " +
                         std::to_string(c.tree_size) + " events (" + ToHex(tree.Root()) + ")");
    if (c.signer) {
      if (!CheckpointSignatureValid(file.actor_id, c)) return fail(i, "signature is not valid");
      ++report.signed_count;
      if (report.signer && *report.signer != *c.signer) one_signer = false;
      report.signer = c.signer;
    }
    if (required_signer && c.signer != required_signer)
      return fail(i, c.signer ? "signed by another key (" + ToHex(*c.signer) + ")" : "not signed");
    ++report.checked;
    report.covered = c.tree_size;
    if (c.signer) report.signed_covered = c.tree_size;
  }
  if (required_signer && file.checkpoints.empty()) {
    report.reason = "no checkpoint is signed by the key: the chain has no checkpoints";
    return report;
  }
  if (!one_signer) report.signer.reset();
  report.ok = true;
  return report;
}

}  // namespace theater
