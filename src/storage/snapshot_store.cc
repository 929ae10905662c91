#include "storage/snapshot_store.h"

namespace theater {

bool MemorySnapshotStore::Has(const Hash& digest) const {
  std::lock_guard lock(mu_);
  return states_.count(digest) > 0;
}

void MemorySnapshotStore::Put(const StateRef& ref, std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  states_.try_emplace(ref.sha256, bytes.begin(), bytes.end());
}

Result<Bytes> MemorySnapshotStore::Read(const StateRef& ref) const {
  std::lock_guard lock(mu_);
  auto it = states_.find(ref.sha256);
  if (it == states_.end()) return Status::Error("no snapshot of state " + ToHex(ref.sha256) + " in memory");
  THEATER_RETURN_IF_ERROR(CheckSnapshotBytes(ref, it->second, "memory"));
  return it->second;
}

}  // namespace theater
