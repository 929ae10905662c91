#include "chain/inclusion_proof.h"

#include <algorithm>

#include "chain/chain_file.h"
#include "chain/merkle.h"

namespace theater {

namespace {

using ordered_json = nlohmann::ordered_json;

template <size_t N>
std::optional<std::array<uint8_t, N>> HexArray(const nlohmann::json& j) {
  if (!j.is_string()) return std::nullopt;
  return FromHexArray<N>(j.get_ref<const std::string&>());
}

}  // namespace

Result<InclusionProof> ProveInclusion(std::string actor_id, std::span<const ChainEvent> events,
                                      std::span<const Checkpoint> checkpoints, uint64_t seq,
                                      std::optional<uint64_t> tree_size) {
  if (seq >= events.size())
    return Status::Error("the chain has " + std::to_string(events.size()) + " events; there is no event " +
                         std::to_string(seq));
  InclusionProof proof;
  if (tree_size) {
    if (*tree_size <= seq || *tree_size > events.size())
      return Status::Error("tree size " + std::to_string(*tree_size) + " must be above " + std::to_string(seq) +
                           " and at most " + std::to_string(events.size()));
    proof.tree_size = *tree_size;
  } else {
    proof.tree_size = events.size();
    if (!checkpoints.empty() && checkpoints.back().tree_size > seq) proof.tree_size = checkpoints.back().tree_size;
  }
  for (const Checkpoint& c : checkpoints)
    if (c.tree_size == proof.tree_size) proof.checkpoint = c;
  std::vector<Hash> leaves;
  leaves.reserve(proof.tree_size);
  for (uint64_t i = 0; i < proof.tree_size; ++i) leaves.push_back(MerkleLeafHash(events[i].hash));
  proof.actor_id = std::move(actor_id);
  proof.seq = seq;
  proof.event = CanonicalEncoding(events[seq]);
  proof.root = MerkleRoot(leaves);
  proof.path = MerkleInclusionProof(leaves, seq);
  if (proof.checkpoint && proof.checkpoint->root != proof.root)
    return Status::Error("checkpoint at tree size " + std::to_string(proof.tree_size) + " does not match the chain");
  return proof;
}

ordered_json InclusionProofToJson(const InclusionProof& p) {
  ordered_json path = ordered_json::array();
  for (const Hash& h : p.path) path.push_back(ToHex(h));
  ordered_json checkpoint = nullptr;
  if (p.checkpoint) {
    checkpoint = {{"timestamp_ms", p.checkpoint->timestamp_ms},
                  {"public_key", p.checkpoint->signer ? ordered_json(ToHex(*p.checkpoint->signer)) : ordered_json(nullptr)},
                  {"signature", p.checkpoint->signer ? ordered_json(ToHex(p.checkpoint->signature)) : ordered_json(nullptr)}};
  }
  return {{"format", kInclusionProofFormat},
          {"actor_id", p.actor_id},
          {"seq", p.seq},
          {"event", ToHex(p.event)},
          {"event_hash", ToHex(Sha256(p.event))},
          {"tree_size", p.tree_size},
          {"root", ToHex(p.root)},
          {"path", path},
          {"checkpoint", checkpoint}};
}

Result<InclusionProof> InclusionProofFromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& field, const std::string& what) {
    return Status::Error("field `" + field + "`: " + what);
  };
  if (!j.is_object()) return Status::Error("a proof is a JSON object");
  if (!j.contains("format") || j["format"] != kInclusionProofFormat)
    return bad("format", std::string("must be \"") + kInclusionProofFormat + "\"");
  InclusionProof p;
  if (!j.contains("actor_id") || !j["actor_id"].is_string()) return bad("actor_id", "missing or not a string");
  p.actor_id = j["actor_id"];
  for (const char* f : {"seq", "tree_size"})
    if (!j.contains(f) || !j[f].is_number_unsigned()) return bad(f, "missing or not an unsigned integer");
  p.seq = j["seq"];
  p.tree_size = j["tree_size"];
  auto event = j.contains("event") && j["event"].is_string() ? FromHex(j["event"].get<std::string>()) : std::nullopt;
  if (!event) return bad("event", "missing or not hex");
  p.event = *event;
  auto root = j.contains("root") ? HexArray<32>(j["root"]) : std::nullopt;
  if (!root) return bad("root", "missing or not 32 bytes of hex");
  p.root = *root;
  if (!j.contains("path") || !j["path"].is_array()) return bad("path", "missing or not an array");
  for (const auto& h : j["path"]) {
    auto hash = HexArray<32>(h);
    if (!hash) return bad("path", "every item must be 32 bytes of hex");
    p.path.push_back(*hash);
  }
  if (j.contains("checkpoint") && !j["checkpoint"].is_null()) {
    const auto& c = j["checkpoint"];
    if (!c.is_object() || !c.contains("timestamp_ms") || !c["timestamp_ms"].is_number_unsigned())
      return bad("checkpoint", "must be null or an object with timestamp_ms");
    Checkpoint cp;
    cp.tree_size = p.tree_size;
    cp.root = p.root;
    cp.timestamp_ms = c["timestamp_ms"];
    if (c.contains("public_key") && !c["public_key"].is_null()) {
      auto key = HexArray<32>(c["public_key"]);
      auto sig = c.contains("signature") ? HexArray<64>(c["signature"]) : std::nullopt;
      if (!key || !sig) return bad("checkpoint", "public_key must be 32 bytes and signature 64 bytes of hex");
      cp.signer = *key;
      cp.signature = *sig;
    }
    p.checkpoint = cp;
  }
  return p;
}

ProofCheck CheckInclusionProof(const InclusionProof& p, const std::optional<Ed25519PublicKey>& trusted_key,
                               const std::optional<Hash>& trusted_root) {
  ProofCheck check;
  auto fail = [&](std::string why) {
    check.reason = std::move(why);
    return check;
  };
  auto event = ParseCanonicalEncoding(p.event);
  if (!event.ok()) return fail("the event does not decode: " + event.error());
  check.event = *event;
  if (event->seq != p.seq)
    return fail("the event is number " + std::to_string(event->seq) + ", the proof claims " + std::to_string(p.seq));
  if (!VerifyMerkleInclusion(p.seq, p.tree_size, MerkleLeafHash(event->hash), p.path, p.root))
    return fail("the audit path does not lead from the event to the root " + ToHex(p.root));
  if (p.checkpoint && (p.checkpoint->root != p.root || p.checkpoint->tree_size != p.tree_size))
    return fail("the checkpoint is for another tree than the proof's");
  if (p.checkpoint && p.checkpoint->signer) {
    if (!CheckpointSignatureValid(p.actor_id, *p.checkpoint))
      return fail("the checkpoint's signature is not valid for this actor, tree size and root");
    check.root_signed = true;
  }
  if (trusted_key && !(check.root_signed && p.checkpoint->signer == trusted_key))
    return fail(check.root_signed ? "the root is signed by another key (" + ToHex(*p.checkpoint->signer) + ")"
                                  : "the root is not signed");
  if (trusted_root && *trusted_root != p.root)
    return fail("the root " + ToHex(p.root) + " is not the trusted root " + ToHex(*trusted_root));
  check.ok = true;
  check.trusted = trusted_key || trusted_root;
  return check;
}

}  // namespace theater
