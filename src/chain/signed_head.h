// A signed head statement: the last checkpoint of a chain (chain/checkpoint.h) with the
// hash of the last event it covers, as JSON that a user can publish somewhere the chain's
// keeper cannot rewrite (docs/chain-format.md, section 8.4).
//
// Signatures show that events were recorded by the key's holder, but not that nothing was
// recorded after them: a chain and its checkpoint file cut back to an earlier signed
// checkpoint look like an actor that stopped there. Only a head kept elsewhere shows the
// chain once went further; `theater chain verify --expect-head` checks a chain against it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/checkpoint.h"

namespace theater {

inline constexpr char kSignedHeadFormat[] = "theater-chain-head/1";

struct SignedHead {
  std::string actor_id;
  Checkpoint checkpoint;  // tree size, root, time, and the signature when signed
  Hash head{};            // hash of event tree_size - 1: bound by the root, not signed on its own

  bool operator==(const SignedHead&) const = default;
};

nlohmann::ordered_json SignedHeadToJson(const SignedHead& head);
Result<SignedHead> SignedHeadFromJson(const nlohmann::json& json);

// Checks a chain (the hashes of its events, and the actor id its events name) against a
// head published earlier: its signature, when it has one, is valid (and by
// `required_signer` when given); the chain still has all the events it covers; their Merkle
// root is its root; and the last of them is its head. Returns what does not hold.
std::vector<std::string> CheckAgainstHead(const SignedHead& head, std::string_view chain_actor_id,
                                          std::span<const Hash> event_hashes,
                                          const std::optional<Ed25519PublicKey>& required_signer);

}  // namespace theater
