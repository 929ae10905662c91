#include "chain/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "chain/byte_io.h"

namespace theater {

Status CheckSnapshotBytes(const StateRef& ref, std::span<const uint8_t> bytes, const std::string& where) {
  if (bytes.size() != ref.size)
    return Status::Error(where + ": the snapshot of state " + ToHex(ref.sha256) + " holds " +
                         std::to_string(bytes.size()) + " bytes, the chain recorded " + std::to_string(ref.size));
  Hash actual = Sha256(bytes);
  if (actual != ref.sha256)
    return Status::Error(where + ": the snapshot of state " + ToHex(ref.sha256) + " does not match it: its bytes hash to " +
                         ToHex(actual) + " (the snapshot was changed)");
  return Status::Ok();
}

std::filesystem::path SnapshotPathFor(const std::filesystem::path& chain_path) {
  std::filesystem::path p = chain_path;
  return p.replace_extension(".snapshots");
}

Bytes EncodeSnapshotFileHeader() { return Bytes(kSnapshotFileMagic, kSnapshotFileMagic + 8); }

Bytes EncodeSnapshotRecordHeader(const StateRef& ref) {
  Bytes out;
  out.reserve(kSnapshotRecordHeaderBytes);
  PutBytes(out, ref.sha256);
  PutUint(out, ref.size, 8);
  return out;
}

Bytes EncodeSnapshotRecord(const StateRef& ref, std::span<const uint8_t> bytes) {
  Bytes out = EncodeSnapshotRecordHeader(StateRef{ref.sha256, bytes.size()});
  out.reserve(kSnapshotRecordHeaderBytes + bytes.size());
  PutBytes(out, bytes);
  return out;
}

Result<std::unique_ptr<SnapshotFile>> SnapshotFile::Open(const std::filesystem::path& path) {
  std::unique_ptr<SnapshotFile> file(new SnapshotFile());
  file->name_ = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 && errno == ENOENT) return file;  // no state recorded yet
  if (fd < 0) return Status::Error(file->name_ + ": " + std::strerror(errno));
  file->fd_ = UniqueFd(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::Error(file->name_ + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Status::Error(file->name_ + ": is " + FileKindName(st.st_mode) + "; only regular files are read");
  THEATER_RETURN_IF_ERROR(file->Index(static_cast<uint64_t>(st.st_size)));
  return file;
}

Result<std::unique_ptr<SnapshotFile>> SnapshotFile::FromBytes(Bytes image, std::string name) {
  std::unique_ptr<SnapshotFile> file(new SnapshotFile());
  file->name_ = std::move(name);
  file->image_ = std::move(image);
  THEATER_RETURN_IF_ERROR(file->Index(file->image_.size()));
  return file;
}

Status SnapshotFile::ReadAt(uint64_t offset, std::span<uint8_t> out) const {
  if (!fd_.valid()) {
    if (offset > image_.size() || out.size() > image_.size() - offset) return Status::Error(name_ + ": read past its end");
    std::memcpy(out.data(), image_.data() + offset, out.size());
    return Status::Ok();
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error(name_ + ": read failed: " + std::strerror(errno));
    if (n == 0) return Status::Error(name_ + ": the file ended early (was it cut short?)");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SnapshotFile::Index(uint64_t file_size) {
  // A crash during the very first write can leave part of the header: no snapshot of it
  // was ever named by the chain, so the file is empty.
  uint8_t magic[8];
  uint64_t head = std::min<uint64_t>(file_size, 8);
  THEATER_RETURN_IF_ERROR(ReadAt(0, std::span<uint8_t>(magic, head)));
  if (std::memcmp(magic, kSnapshotFileMagic, head) != 0)
    return Status::Error(name_ + ": not a snapshot file (missing THSNAP01 header)");
  if (file_size < 8) {
    if (file_size > 0) torn_ = "truncated header";
    return Status::Ok();
  }
  uint64_t pos = 8;
  valid_bytes_ = 8;
  while (pos < file_size) {
    if (file_size - pos < kSnapshotRecordHeaderBytes) {
      torn_ = "truncated snapshot record at byte offset " + std::to_string(pos) + ": incomplete header";
      return Status::Ok();
    }
    uint8_t header[kSnapshotRecordHeaderBytes];
    THEATER_RETURN_IF_ERROR(ReadAt(pos, header));
    ByteReader r(header);
    Hash digest = r.TakeArray<32>();
    uint64_t len = r.Uint(8);
    if (len > kMaxSnapshotBytes)
      return Status::Error(name_ + ": the snapshot record at byte offset " + std::to_string(pos) + " claims " +
                           std::to_string(len) + " bytes, more than a state may hold (" +
                           std::to_string(kMaxSnapshotBytes) + ")");
    uint64_t body = pos + kSnapshotRecordHeaderBytes;
    if (file_size - body < len) {
      torn_ = "truncated snapshot record at byte offset " + std::to_string(pos) + ": needs " + std::to_string(len) +
              " bytes, the file has " + std::to_string(file_size - body);
      return Status::Ok();
    }
    index_.emplace(digest, Entry{body, len});  // a digest written twice: the first counts
    pos = body + len;
    valid_bytes_ = pos;
  }
  return Status::Ok();
}

Result<Bytes> SnapshotFile::Read(const StateRef& ref) const {
  auto it = index_.find(ref.sha256);
  if (it == index_.end()) return Status::Error(name_ + ": has no snapshot of state " + ToHex(ref.sha256));
  // The index only holds sizes within kMaxSnapshotBytes: the allocation is bounded.
  Bytes bytes(it->second.size);
  THEATER_RETURN_IF_ERROR(ReadAt(it->second.offset, bytes));
  THEATER_RETURN_IF_ERROR(CheckSnapshotBytes(ref, bytes, name_));
  return bytes;
}

namespace {

// Calls `each(event, ref)` for every snapshot the events name (states and byte strings
// by reference); stops at the first error.
template <typename F>
Status ForEachState(const std::vector<ChainEvent>& events, F each) {
  for (const ChainEvent& e : events) {
    auto named = SnapshotsNamedBy(e);
    if (!named.ok()) return named.status();
    for (const StateRef& ref : *named) THEATER_RETURN_IF_ERROR(each(e, ref));
  }
  return Status::Ok();
}

}  // namespace

SnapshotCheck VerifyStateSnapshots(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots) {
  SnapshotCheck check;
  std::set<Hash> seen;
  Status s = ForEachState(events, [&](const ChainEvent& e, const StateRef& ref) {
    check.bad_seq = e.seq;
    if (!seen.insert(ref.sha256).second) return Status::Ok();
    auto bytes = snapshots.Read(ref);
    if (!bytes.ok()) return bytes.status();
    ++check.states;
    check.bytes += ref.size;
    return Status::Ok();
  });
  check.ok = s.ok();
  if (check.ok) check.bad_seq.reset();
  else check.reason = s.message();
  return check;
}

Result<Bytes> CollectSnapshots(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots) {
  Bytes out = EncodeSnapshotFileHeader();
  std::set<Hash> seen;
  THEATER_RETURN_IF_ERROR(ForEachState(events, [&](const ChainEvent& e, const StateRef& ref) {
    if (!seen.insert(ref.sha256).second) return Status::Ok();
    auto bytes = snapshots.Read(ref);
    if (!bytes.ok()) return bytes.status().WithContext("event " + std::to_string(e.seq));
    PutBytes(out, EncodeSnapshotRecord(ref, *bytes));
    return Status::Ok();
  }));
  return out;
}

}  // namespace theater
