// The snapshot file: the bytes of an actor's states, beside its chain, found by SHA-256
// (docs/chain-format.md, section 3.1; docs/storage.md says why one file per actor).
//
//   "THSNAP01"                                   8 bytes
//   record*    sha256 (32) | length L (u64 BE) | L bytes of state
//
// Records are only appended, each digest at most once, and a record is in the file before
// the first chain event that names it. Like the chain file, a record cut short at the end
// is a torn write (recovery cuts it off); a length over kMaxSnapshotBytes is damage.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chain/event.h"
#include "chain/snapshot_source.h"
#include "common/files.h"
#include "common/unique_fd.h"

namespace theater {

inline constexpr char kSnapshotFileMagic[] = "THSNAP01";
inline constexpr uint64_t kSnapshotRecordHeaderBytes = 32 + 8;
// The largest state a snapshot holds: a state file's limit (what --state and init_state
// accept), so any recorded state can be handed back in. Every read is bounded by it.
inline constexpr uint64_t kMaxSnapshotBytes = kMaxStateFileBytes;
static_assert(kMaxBytesByRef == kMaxSnapshotBytes, "a byte string by reference fits in a snapshot");

// <dir>/<id>.chain -> <dir>/<id>.snapshots
std::filesystem::path SnapshotPathFor(const std::filesystem::path& chain_path);

Bytes EncodeSnapshotFileHeader();
// One record: sha256 | length | bytes.
Bytes EncodeSnapshotRecord(const StateRef& ref, std::span<const uint8_t> bytes);
// A record's first 40 bytes (sha256 | length), for the state `ref` names.
Bytes EncodeSnapshotRecordHeader(const StateRef& ref);

// A snapshot file read for lookups: its records' places are indexed when it is opened
// (only their headers are read); a state's bytes are read when asked for, and checked.
class SnapshotFile : public SnapshotSource {
 public:
  struct Entry {
    uint64_t offset = 0;  // of the state's bytes in the file
    uint64_t size = 0;
  };

  // The snapshot file at `path`. A missing file is an empty set of snapshots (an actor
  // that recorded no state yet), so the error is for a file that is not a snapshot file
  // (or cannot be read), or holds a record longer than kMaxSnapshotBytes.
  static Result<std::unique_ptr<SnapshotFile>> Open(const std::filesystem::path& path);
  // An image in memory (an export's section 'S'); `name` is how errors show it.
  static Result<std::unique_ptr<SnapshotFile>> FromBytes(Bytes image, std::string name);

  Result<Bytes> Read(const StateRef& ref) const override;
  bool Has(const Hash& digest) const { return index_.count(digest) > 0; }
  const std::map<Hash, Entry>& index() const { return index_; }
  // Up to the end of the last whole record, and why what follows is not one (a torn
  // tail; "" when the file ends with a whole record).
  uint64_t valid_bytes() const { return valid_bytes_; }
  const std::string& torn() const { return torn_; }
  const std::string& name() const { return name_; }

 private:
  SnapshotFile() = default;
  // Reads `out.size()` bytes at `offset`: from the file or from the image.
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) const;
  Status Index(uint64_t file_size);

  std::string name_;
  UniqueFd fd_;        // a file on disk, or
  Bytes image_;        // an image in memory
  std::map<Hash, Entry> index_;
  uint64_t valid_bytes_ = 0;
  std::string torn_;
};

// What checking a chain's states against its snapshots found.
struct SnapshotCheck {
  bool ok = true;
  std::optional<uint64_t> bad_seq;  // the first event whose state is missing or wrong
  std::string reason;
  uint64_t states = 0;              // distinct snapshots the chain names (states, bytes by reference)
  uint64_t bytes = 0;               // their total size
};
// Every state the events name must be in `snapshots` with exactly its size and SHA-256
// (each distinct state is read and hashed once).
SnapshotCheck VerifyStateSnapshots(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots);

// A snapshot file image holding exactly the states `events` name, in the order they are
// first named (what an export carries).
Result<Bytes> CollectSnapshots(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots);

}  // namespace theater
