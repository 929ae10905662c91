#include "chain/merkle.h"

#include <bit>

namespace theater {

namespace {

// The largest power of two smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Hash SubtreeRoot(std::span<const Hash> leaves) {
  if (leaves.size() == 1) return leaves[0];
  uint64_t k = SplitPoint(leaves.size());
  return MerkleNodeHash(SubtreeRoot(leaves.first(k)), SubtreeRoot(leaves.subspan(k)));
}

void AppendPath(std::span<const Hash> leaves, uint64_t index, std::vector<Hash>& path) {
  if (leaves.size() <= 1) return;
  uint64_t k = SplitPoint(leaves.size());
  if (index < k) {
    AppendPath(leaves.first(k), index, path);
    path.push_back(SubtreeRoot(leaves.subspan(k)));
  } else {
    AppendPath(leaves.subspan(k), index - k, path);
    path.push_back(SubtreeRoot(leaves.first(k)));
  }
}

}  // namespace

Hash MerkleLeafHash(std::span<const uint8_t> leaf) {
  uint8_t buf[1 + 64];
  if (leaf.size() <= 64) {  // the common case (an event hash), without allocating
    buf[0] = 0x00;
    std::copy(leaf.begin(), leaf.end(), buf + 1);
    return Sha256(std::span<const uint8_t>(buf, 1 + leaf.size()));
  }
  std::vector<uint8_t> data;
  data.reserve(1 + leaf.size());
  data.push_back(0x00);
  data.insert(data.end(), leaf.begin(), leaf.end());
  return Sha256(data);
}

Hash MerkleNodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 32 + 32];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return Sha256(std::span<const uint8_t>(buf, sizeof buf));
}

Hash MerkleRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return Sha256(std::span<const uint8_t>());
  return SubtreeRoot(leaves);
}

std::vector<Hash> MerkleInclusionProof(std::span<const Hash> leaves, uint64_t index) {
  std::vector<Hash> path;
  if (index < leaves.size()) AppendPath(leaves, index, path);
  return path;
}

bool VerifyMerkleInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash, std::span<const Hash> path,
                           const Hash& root) {
  if (index >= tree_size) return false;
  uint64_t fn = index, sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : path) {
    if (sn == 0) return false;  // the path is longer than the tree is deep
    if ((fn & 1) || fn == sn) {
      r = MerkleNodeHash(p, r);
      // A right edge without a sibling: climb until this node is a right child.
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

void MerkleFrontier::Add(const Hash& leaf_hash) {
  subtrees_.push_back({leaf_hash, 1});
  // Two perfect subtrees of the same size side by side become one.
  while (subtrees_.size() >= 2 && subtrees_[subtrees_.size() - 2].leaves == subtrees_.back().leaves) {
    Subtree right = subtrees_.back();
    subtrees_.pop_back();
    Subtree& left = subtrees_.back();
    left.hash = MerkleNodeHash(left.hash, right.hash);
    left.leaves *= 2;
  }
  ++size_;
}

Hash MerkleFrontier::Root() const {
  if (subtrees_.empty()) return Sha256(std::span<const uint8_t>());
  // RFC 6962 splits off the largest power of two on the left, so the right edge folds in
  // from the smallest subtree.
  Hash r = subtrees_.back().hash;
  for (size_t i = subtrees_.size() - 1; i-- > 0;) r = MerkleNodeHash(subtrees_[i].hash, r);
  return r;
}

}  // namespace theater
