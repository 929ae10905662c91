#include "chain/signed_head.h"

#include <algorithm>

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

ordered_json SignedHeadToJson(const SignedHead& h) {
  const Checkpoint& c = h.checkpoint;
  return {{"format", kSignedHeadFormat},
          {"actor_id", h.actor_id},
          {"tree_size", c.tree_size},
          {"root", ToHex(c.root)},
          {"head", ToHex(h.head)},
          {"timestamp_ms", c.timestamp_ms},
          {"public_key", c.signer ? ordered_json(ToHex(*c.signer)) : ordered_json(nullptr)},
          {"signature", c.signer ? ordered_json(ToHex(c.signature)) : ordered_json(nullptr)}};
}

Result<SignedHead> SignedHeadFromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& field, const std::string& what) {
    return Status::Error("field `" + field + "`: " + what);
  };
  if (!j.is_object()) return Status::Error("a head statement is a JSON object");
  if (!j.contains("format") || j["format"] != kSignedHeadFormat)
    return bad("format", std::string("must be \"") + kSignedHeadFormat + "\"");
  SignedHead h;
  if (!j.contains("actor_id") || !j["actor_id"].is_string()) return bad("actor_id", "missing or not a string");
  h.actor_id = j["actor_id"];
  for (const char* f : {"tree_size", "timestamp_ms"})
    if (!j.contains(f) || !j[f].is_number_unsigned()) return bad(f, "missing or not an unsigned integer");
  h.checkpoint.tree_size = j["tree_size"];
  if (h.checkpoint.tree_size == 0) return bad("tree_size", "a head covers at least one event");
  h.checkpoint.timestamp_ms = j["timestamp_ms"];
  auto root = j.contains("root") ? HexArray<32>(j["root"]) : std::nullopt;
  if (!root) return bad("root", "missing or not 32 bytes of hex");
  h.checkpoint.root = *root;
  auto head = j.contains("head") ? HexArray<32>(j["head"]) : std::nullopt;
  if (!head) return bad("head", "missing or not 32 bytes of hex");
  h.head = *head;
  bool has_key = j.contains("public_key") && !j["public_key"].is_null();
  bool has_signature = j.contains("signature") && !j["signature"].is_null();
  if (has_key != has_signature) return bad("signature", "public_key and signature are both null or both set");
  if (has_key) {
    auto key = HexArray<32>(j["public_key"]);
    auto signature = HexArray<64>(j["signature"]);
    if (!key || !signature) return bad("signature", "public_key must be 32 bytes and signature 64 bytes of hex");
    h.checkpoint.signer = *key;
    h.checkpoint.signature = *signature;
  }
  return h;
}

std::vector<std::string> CheckAgainstHead(const SignedHead& h, std::string_view chain_actor_id,
                                          std::span<const Hash> event_hashes,
                                          const std::optional<Ed25519PublicKey>& required_signer) {
  std::vector<std::string> problems;
  const Checkpoint& c = h.checkpoint;
  if (c.signer && !CheckpointSignatureValid(h.actor_id, c))
    problems.push_back("the published head's signature is not valid for its actor, tree size, root and time");
  else if (required_signer && !c.signer)
    problems.push_back("the published head is not signed");
  else if (required_signer && c.signer != required_signer)
    problems.push_back("the published head is signed by another key (" + ToHex(*c.signer) + ")");
  if (h.actor_id != chain_actor_id)
    problems.push_back("the published head is actor " + h.actor_id + "'s, the chain is actor " +
                       std::string(chain_actor_id) + "'s");
  if (c.tree_size > event_hashes.size()) {
    problems.push_back("the published head covers " + std::to_string(c.tree_size) + " events, the chain has only " +
                       std::to_string(event_hashes.size()) + ": events were cut off its end");
    return problems;
  }
  if (c.tree_size == 0) return problems;  // SignedHeadFromJson refuses it; a caller's own value
  MerkleFrontier tree;
  for (uint64_t i = 0; i < c.tree_size; ++i) tree.Add(MerkleLeafHash(event_hashes[i]));
  if (tree.Root() != c.root)
    problems.push_back("the chain's first " + std::to_string(c.tree_size) +
                       " events are not the ones the published head covers: their Merkle root is " +
                       ToHex(tree.Root()) + ", the head's " + ToHex(c.root));
  else if (event_hashes[c.tree_size - 1] != h.head)
    problems.push_back("the published head names event " + std::to_string(c.tree_size - 1) + " " + ToHex(h.head) +
                       ", the chain has " + ToHex(event_hashes[c.tree_size - 1]));
  return problems;
}

}  // namespace theater
