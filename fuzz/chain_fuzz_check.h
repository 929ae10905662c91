// What the chain fuzz targets (fuzz/chain_file_fuzz.cc, chain_export_fuzz.cc,
// inclusion_proof_fuzz.cc) check of one input: the loaders `theater chain` and `replay`
// run on files that may come from anyone. Header-only, so that the GCC test build
// (tests/fuzz_corpus_test.cc) runs the very same checks over fuzz/corpus/<target>/.
//
// Each check returns "" or the broken promise. Crashes, leaks, undefined behaviour and
// hangs are the sanitizers' and libFuzzer's to report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/byte_io.h"
#include "chain/chain_file.h"
#include "chain/chain_image.h"
#include "chain/checkpoint.h"
#include "chain/event_data.h"
#include "chain/inclusion_proof.h"
#include "chain/merkle.h"
#include "chain/signed_head.h"

namespace theater::fuzz {

// The record of `e` in a chain file.
inline void AppendChainRecord(Bytes& file, const ChainEvent& e) {
  Bytes encoding = CanonicalEncoding(e);
  PutUint(file, encoding.size() + 32, 4);
  PutBytes(file, encoding);
  PutBytes(file, e.hash);
}

// Makes the records of a chain image (after its 8-byte header) hash right and link up:
// without it the fuzzer would almost never get past the first hash mismatch. Each record
// whose length fits gets the previous record's hash as its parent (when it has one) and
// its own SHA-256 as its hash; a record too short to hold them is left alone.
inline void FixUpChain(Bytes& chain) {
  std::optional<Hash> previous;
  size_t pos = 8;
  while (pos + 4 <= chain.size()) {
    uint64_t len = uint64_t{chain[pos]} << 24 | uint64_t{chain[pos + 1]} << 16 | uint64_t{chain[pos + 2]} << 8 | chain[pos + 3];
    pos += 4;
    if (len < 32 || len > chain.size() - pos) return;
    uint8_t* body = &chain[pos];
    size_t body_len = len - 32;
    if (body_len >= 9 + 32 && body[8] == 1 && previous) std::copy(previous->begin(), previous->end(), body + 9);
    Hash h = Sha256(std::span<const uint8_t>(body, body_len));
    std::copy(h.begin(), h.end(), body + body_len);
    previous = h;
    pos += len;
  }
}

// Gives each whole checkpoint record (after the file's header) the Merkle root of as many
// of `hashes` as its tree size says, so that checks past the root are reached.
inline void FixUpCheckpointRoots(Bytes& file, std::span<const Hash> hashes) {
  if (file.size() < 12) return;
  ByteReader header(std::span<const uint8_t>(file).subspan(8));
  uint64_t id_len = header.Uint(4);
  if (id_len > file.size() - 12) return;
  size_t pos = 12 + id_len;
  while (pos + 4 + 49 <= file.size()) {
    ByteReader r(std::span<const uint8_t>(file).subspan(pos));
    uint64_t len = r.Uint(4);
    if (len < 49 || len > file.size() - pos - 4) return;
    uint64_t size = r.Uint(8);
    if (size <= hashes.size()) {
      std::vector<Hash> leaves;
      for (uint64_t i = 0; i < size; ++i) leaves.push_back(MerkleLeafHash(hashes[i]));
      Hash root = MerkleRoot(leaves);
      std::copy(root.begin(), root.end(), file.begin() + static_cast<long>(pos + 12));
    }
    pos += 4 + len;
  }
}

// Every event's data decodes, or is refused, without throwing or recursing past the bound
// (the CLI prints every event's data). CheckEventData refuses what would be unsafe to hand
// to nlohmann; nlohmann refuses more (simple values, keys that are not text), so only one
// direction holds.
inline std::string CheckEventsDecode(std::span<const ChainEvent> events) {
  for (const ChainEvent& e : events) {
    bool checked = CheckEventData(e.data).empty();
    if (!checked && !DecodeEventData(e.data).is_discarded())
      return "event " + std::to_string(e.seq) + ": decoded data that CheckEventData refuses";
    (void)DecodeEventDataOrdered(e.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return "";
}

// A verified chain proves each of its events against every tree size, and the proof
// checks, also after a trip through JSON. `checkpoints` are `actor`'s, and verified.
inline std::string CheckProofsOf(const std::string& actor, std::span<const ChainEvent> events,
                                 std::span<const Checkpoint> checkpoints) {
  if (events.empty()) return "";
  uint64_t n = events.size();
  for (uint64_t seq : {uint64_t{0}, n / 2, n - 1}) {
    for (std::optional<uint64_t> size : {std::optional<uint64_t>(), std::optional<uint64_t>(seq + 1)}) {
      auto proof = ProveInclusion(actor, events, checkpoints, seq, size);
      if (!proof.ok()) {
        // Only a checkpoint whose root does not match refuses; VerifyChainImage reports it.
        if (proof.error().find("does not match the chain") != std::string::npos) continue;
        return "ProveInclusion(" + std::to_string(seq) + ") failed: " + proof.error();
      }
      auto back = InclusionProofFromJson(nlohmann::json::parse(InclusionProofToJson(*proof).dump()));
      if (!back.ok()) return "a proof did not survive JSON: " + back.error();
      ProofCheck check = CheckInclusionProof(*back, std::nullopt, proof->root);
      if (!check.ok || !check.trusted) return "a proof of event " + std::to_string(seq) + " failed: " + check.reason;
    }
  }
  return "";
}

// Input: flags (1 byte) | chain part length (u16 BE) | chain part | checkpoint part.
// Flags: 1 = the parts are whole files (else their headers are put in front: THCHAIN2,
// and THCKPT01 with the actor id "fuzz"); 2 = fix up the chain's hashes and links;
// 4 = fix up the checkpoints' roots. An empty checkpoint part means no checkpoint file.
inline std::string CheckChainFileInput(const uint8_t* data, size_t size) {
  if (size < 3) return "";
  uint8_t flags = data[0];
  size_t chain_len = std::min<size_t>(size_t{data[1]} << 8 | data[2], size - 3);
  std::span<const uint8_t> chain_part(data + 3, chain_len), checkpoint_part(data + 3 + chain_len, size - 3 - chain_len);
  Bytes chain, checkpoints;
  if (!(flags & 1)) {
    chain.assign(kChainFileMagic, kChainFileMagic + 8);
    if (!checkpoint_part.empty()) checkpoints = EncodeCheckpointFileHeader("fuzz");
  }
  PutBytes(chain, chain_part);
  PutBytes(checkpoints, checkpoint_part);
  if (flags & 2) FixUpChain(chain);

  std::vector<ChainEvent> events;
  std::vector<Hash> hashes;
  VerifyReport report = VerifyChainBytes(chain, &events, &hashes);
  if (events.size() != report.events || hashes.size() != report.events)
    return "VerifyChainBytes counted " + std::to_string(report.events) + " events and returned " +
           std::to_string(events.size());
  // What verified is exactly the bytes before the first bad record.
  if (chain.size() >= 8 && std::equal(chain.begin(), chain.begin() + 8, kChainFileMagic)) {
    Bytes again(kChainFileMagic, kChainFileMagic + 8);
    for (const ChainEvent& e : events) AppendChainRecord(again, e);
    size_t good = report.ok ? chain.size() : report.bad_offset;
    if (good > chain.size() || !std::equal(again.begin(), again.end(), chain.begin(), chain.begin() + good) ||
        again.size() != good)
      return "the events that verified do not re-encode to the bytes before offset " + std::to_string(good);
  }
  if (std::string why = CheckEventsDecode(events); !why.empty()) return why;

  if (flags & 4) FixUpCheckpointRoots(checkpoints, hashes);
  std::vector<Checkpoint> verified_checkpoints;
  std::string checkpoint_actor = "fuzz";
  if (!checkpoints.empty()) {
    auto file = ParseCheckpointFile(checkpoints);
    if (file.ok() && file->valid_bytes == 0) {
      // A header cut short (a crash while it was first written): nothing in it counts.
      if (file->torn.empty() || !file->checkpoints.empty() || checkpoints.empty())
        return "a checkpoint file without a whole header must be a torn one, with no checkpoint";
    } else if (file.ok()) {
      Bytes again = EncodeCheckpointFileHeader(file->actor_id);
      for (const Checkpoint& c : file->checkpoints) PutBytes(again, EncodeCheckpointRecord(c));
      if (file->valid_bytes > checkpoints.size() || again.size() != file->valid_bytes ||
          !std::equal(again.begin(), again.end(), checkpoints.begin()))
        return "the checkpoints that parsed do not re-encode to the first " + std::to_string(file->valid_bytes) +
               " bytes";
      if (file->torn.empty() != (file->valid_bytes == checkpoints.size()))
        return "a torn checkpoint file must have bytes after its last whole record, and only a torn one";
      if (VerifyCheckpoints(*file, hashes).ok) {
        verified_checkpoints = file->checkpoints;
        checkpoint_actor = file->actor_id;
      }
    }
  }

  ChainImage image;
  image.actor_id = "fuzz";
  image.chain = chain;
  if (!checkpoints.empty()) image.checkpoints = checkpoints;
  Ed25519PublicKey key{};
  key[0] = flags;
  for (int mode = 0; mode < 3; ++mode) {
    VerifyOptions options;
    if (mode > 0) options.required_signer = key;
    options.allow_unsigned_tail = mode == 2;
    options.expected_actor_id = mode == 1 ? "fuzz" : "";
    ChainVerification v = VerifyChainImage(image, options);
    if (v.chain.ok != report.ok || v.chain.events != report.events) return "VerifyChainImage saw another chain";
    if (v.unsigned_events > report.events) return "more unsigned events than events";
    if (mode == 0 && v.ok() && v.checkpoints && !v.checkpoint_file->checkpoints.empty()) {
      // The last checkpoint, as a published head, holds for the chain it came from.
      SignedHead head{v.checkpoint_file->actor_id, v.checkpoint_file->checkpoints.back(), {}};
      head.head = hashes[head.checkpoint.tree_size - 1];
      auto back = SignedHeadFromJson(nlohmann::json::parse(SignedHeadToJson(head).dump()));
      if (!back.ok() || !(*back == head)) return "a head statement did not survive JSON";
      auto problems = CheckAgainstHead(head, v.actor_id, hashes, std::nullopt);
      if (!problems.empty()) return "the chain's own last checkpoint, as a head, fails: " + problems[0];
    }
  }
  if (report.ok) return CheckProofsOf(checkpoint_actor, events, verified_checkpoints);
  return "";
}

// Input: flags (1 byte) | the export. Flags: 1 = the export is whole (else THEXPRT2 is put
// in front); 2 = fix up the hashes and links of its chain section.
inline std::string CheckChainExportInput(const uint8_t* data, size_t size) {
  if (size < 1) return "";
  uint8_t flags = data[0];
  Bytes file;
  if (!(flags & 1)) file.assign(kExportFileMagic, kExportFileMagic + 8);
  file.insert(file.end(), data + 1, data + size);
  auto image = DecodeExport(file);
  if (!image.ok()) return "";
  if (flags & 2) FixUpChain(image->chain);
  // An export written from what was read reads back the same.
  auto again = DecodeExport(EncodeExport(*image));
  if (!again.ok()) return "a re-encoded export does not decode: " + again.error();
  if (again->actor_id != image->actor_id || again->component_sha256 != image->component_sha256 ||
      again->chain != image->chain || again->checkpoints != image->checkpoints || again->snapshots != image->snapshots ||
      again->component != image->component)
    return "a re-encoded export decodes to something else";
  std::vector<ChainEvent> events;
  ChainVerification v = VerifyChainImage(*image, std::nullopt, &events);
  if (events.size() != v.chain.events)
    return "VerifyChainImage returned " + std::to_string(events.size()) + " events of " + std::to_string(v.chain.events);
  if (std::string why = CheckEventsDecode(events); !why.empty()) return why;
  // What `chain prove` does with an export that verifies: its actor is the checkpoints'
  // when they verify, else the export's.
  if (!v.ok()) return "";
  bool checkpointed = v.checkpoint_file && v.checkpoints && v.checkpoints->ok;
  std::vector<Checkpoint> none;
  return CheckProofsOf(checkpointed ? v.checkpoint_file->actor_id : image->actor_id, events,
                       checkpointed ? v.checkpoint_file->checkpoints : none);
}

// Input: a proof or a head statement (JSON text), as `theater chain verify-proof` and
// `verify --expect-head` read them.
inline std::string CheckInclusionProofInput(const uint8_t* data, size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return "";
  if (auto proof = InclusionProofFromJson(json); proof.ok()) {
    auto back = InclusionProofFromJson(nlohmann::json::parse(InclusionProofToJson(*proof).dump()));
    if (!back.ok()) return "a proof did not survive JSON: " + back.error();
    if (back->actor_id != proof->actor_id || back->seq != proof->seq || back->event != proof->event ||
        back->tree_size != proof->tree_size || back->root != proof->root || back->path != proof->path ||
        back->checkpoint != proof->checkpoint)
      return "a proof changed on its way through JSON";
    ProofCheck alone = CheckInclusionProof(*proof, std::nullopt, std::nullopt);
    if (alone.trusted) return "a proof checked without a key or root was trusted";
    ProofCheck by_root = CheckInclusionProof(*proof, std::nullopt, proof->root);
    if (by_root.ok != alone.ok) return "the proof's own root changed whether it is consistent";
    Ed25519PublicKey key{};
    ProofCheck by_key = CheckInclusionProof(*proof, key, std::nullopt);
    if (by_key.ok && !(proof->checkpoint && proof->checkpoint->signer == key)) return "a proof was trusted unsigned";
    if (alone.ok) {
      if (alone.event.seq != proof->seq) return "a consistent proof of another event";
      (void)DecodeEventDataOrdered(alone.event.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  if (auto head = SignedHeadFromJson(json); head.ok()) {
    auto back = SignedHeadFromJson(nlohmann::json::parse(SignedHeadToJson(*head).dump()));
    if (!back.ok() || !(*back == *head)) return "a head statement changed on its way through JSON";
    std::vector<Hash> hashes(std::min<uint64_t>(head->checkpoint.tree_size, 64), head->head);
    (void)CheckAgainstHead(*head, head->actor_id, hashes, std::nullopt);
  }
  return "";
}

}  // namespace theater::fuzz
