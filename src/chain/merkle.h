// Merkle trees over a chain, as in RFC 6962 (Certificate Transparency), section 2.1.
//
// The leaves are the events' hashes, in sequence order. A leaf is hashed as
// SHA-256(0x00 || leaf), an inner node as SHA-256(0x01 || left || right), and a tree of n
// leaves splits at the largest power of two below n. The root of the first n events (a
// tree head) commits to all of them; an inclusion proof of O(log n) hashes shows that one
// event is among them, without the rest of the chain. See docs/chain-format.md, section 8.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/sha256.h"

namespace theater {

Hash MerkleLeafHash(std::span<const uint8_t> leaf);
Hash MerkleNodeHash(const Hash& left, const Hash& right);

// Below, leaves are given by their leaf hashes (MerkleLeafHash of the leaf data; for a
// chain, of each event's hash).

// The root of the tree over `leaf_hashes`; SHA-256("") when empty.
Hash MerkleRoot(std::span<const Hash> leaf_hashes);

// The audit path of leaf `index` in the tree over `leaf_hashes` (RFC 6962 PATH(m, D[n])),
// innermost sibling first; empty when `index` is out of range.
std::vector<Hash> MerkleInclusionProof(std::span<const Hash> leaf_hashes, uint64_t index);

// Checks an audit path (RFC 9162, 2.1.3.2): the leaf whose leaf hash is `leaf_hash` is
// number `index` of the tree of `tree_size` leaves whose root is `root`.
bool VerifyMerkleInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash, std::span<const Hash> path,
                           const Hash& root);

// Grows a tree one leaf at a time and gives its root at any size, keeping only the roots
// of its perfect subtrees (at most 64 hashes): what the chain store needs for periodic
// checkpoints without holding the chain.
class MerkleFrontier {
 public:
  void Add(const Hash& leaf_hash);
  uint64_t size() const { return size_; }
  Hash Root() const;

 private:
  struct Subtree {
    Hash hash;
    uint64_t leaves;
  };
  std::vector<Subtree> subtrees_;  // largest (leftmost) first
  uint64_t size_ = 0;
};

}  // namespace theater
