// Where an actor's states go when its chain records them, and come back from.
//
// The chain names a state by its SHA-256 and size (chain/state_ref.h); the store keeps its
// bytes, each state once. ChainStore::Sink is the store of an actor whose chain is a file
// (the snapshot file beside it, chain/snapshot_file.h); MemorySnapshotStore is that of an
// actor whose chain is kept only in memory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>

#include "chain/snapshot_source.h"

namespace theater {

class SnapshotStore : public SnapshotSource {
 public:
  // Whether the store holds (or has queued) the state with this digest: a state already
  // stored is not stored again.
  virtual bool Has(const Hash& digest) const = 0;
  // Stores a state it does not hold. It is durable no later than the first chain event
  // appended after this call (the one that names it).
  virtual void Put(const StateRef& ref, std::span<const uint8_t> bytes) = 0;
};

class MemorySnapshotStore : public SnapshotStore {
 public:
  bool Has(const Hash& digest) const override;
  void Put(const StateRef& ref, std::span<const uint8_t> bytes) override;
  Result<Bytes> Read(const StateRef& ref) const override;

 private:
  mutable std::mutex mu_;
  std::map<Hash, Bytes> states_;
};

}  // namespace theater
