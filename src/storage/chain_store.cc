#include "storage/chain_store.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "chain/chain_image.h"
#include "chain/byte_io.h"
#include "chain/checkpoint.h"
#include "chain/snapshot_file.h"
#include "common/files.h"

namespace theater {

namespace {

constexpr auto kWriteInterval = std::chrono::milliseconds(5);
constexpr size_t kMaxKeptBuffer = 64 * 1024;

Status WriteAll(int fd, const uint8_t* data, size_t size, const std::filesystem::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(path.string() + ": write failed: " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncFile(int fd, const std::filesystem::path& path) {
  if (::fdatasync(fd) != 0) return Status::Error(path.string() + ": fdatasync failed: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

ChainStore::Sink::Sink(ChainStore* store, std::string actor_id, std::filesystem::path path, bool exists)
    : store_(store), actor_id_(std::move(actor_id)), path_(std::move(path)), created_(exists), snapshots_created_(false) {
  if (!exists) return;
  // A chain that goes on: the states its snapshot file holds are not written again.
  // (Recovery has cut off a torn tail; a file that cannot be read is started anew below
  // only if it does not exist.)
  std::error_code ec;
  snapshots_created_ = std::filesystem::exists(SnapshotPathFor(path_), ec);
  if (auto file = SnapshotFile::Open(SnapshotPathFor(path_)); file.ok())
    for (const auto& [digest, entry] : (*file)->index()) snapshot_digests_.insert(digest);
}

ChainStore::Sink::~Sink() {
  // Nothing more comes through this sink: sign the end of what it wrote, as at a stop.
  WriteOut(store_->options_.sync, /*final=*/true);
  std::lock_guard lock(write_mu_);
  CloseFile();
}

void ChainStore::Sink::Append(const ChainEvent& event, std::span<const uint8_t> encoding) {
  uint32_t len = static_cast<uint32_t>(encoding.size() + event.hash.size());
  bool mark = false;
  {
    std::lock_guard lock(mu_);
    buffer_.push_back(static_cast<uint8_t>(len >> 24));
    buffer_.push_back(static_cast<uint8_t>(len >> 16));
    buffer_.push_back(static_cast<uint8_t>(len >> 8));
    buffer_.push_back(static_cast<uint8_t>(len));
    buffer_.insert(buffer_.end(), encoding.begin(), encoding.end());
    buffer_.insert(buffer_.end(), event.hash.begin(), event.hash.end());
    if (!queued_) {
      queued_ = true;
      mark = true;
    }
  }
  if (mark) store_->MarkDirty(shared_from_this());
}

bool ChainStore::Sink::Has(const Hash& digest) const {
  std::lock_guard lock(mu_);
  return snapshot_digests_.count(digest) > 0;
}

void ChainStore::Sink::Put(const StateRef& ref, std::span<const uint8_t> bytes) {
  if (bytes.size() >= kDirectSnapshotBytes) {
    // Written now, before the event that names it is even appended: no copy is queued.
    std::lock_guard write_lock(write_mu_);
    {
      std::lock_guard lock(mu_);
      if (!error_.ok() || !snapshot_digests_.insert(ref.sha256).second) return;
    }
    Status s = WriteSnapshots({{ref, bytes}}, /*sync=*/false);
    std::lock_guard lock(mu_);
    if (!s.ok() && error_.ok()) error_ = s;  // nothing more is written; the next flush says so
    snapshots_unsynced_ = s.ok();
    return;
  }
  bool mark = false;
  {
    std::lock_guard lock(mu_);
    if (!snapshot_digests_.insert(ref.sha256).second) return;
    pending_snapshots_.emplace_back(ref, Bytes(bytes.begin(), bytes.end()));
    if (!queued_) {
      queued_ = true;
      mark = true;
    }
  }
  if (mark) store_->MarkDirty(shared_from_this());
}

Result<Bytes> ChainStore::Sink::Read(const StateRef& ref) const {
  // With write_mu_ held no write is under way: a state is either still queued or in the file.
  std::lock_guard write_lock(write_mu_);
  {
    std::lock_guard lock(mu_);
    for (const auto& [queued, bytes] : pending_snapshots_) {
      if (queued.sha256 != ref.sha256) continue;
      THEATER_RETURN_IF_ERROR(CheckSnapshotBytes(ref, bytes, "a queued snapshot"));
      return bytes;
    }
  }
  auto file = SnapshotFile::Open(SnapshotPathFor(path_));
  if (!file.ok()) return file.status();
  return (*file)->Read(ref);
}

Status ChainStore::Sink::WriteSnapshots(const std::vector<SnapshotBytes>& snapshots, bool sync) {
  std::filesystem::path path = SnapshotPathFor(path_);
  int flags = snapshots_created_ ? (O_WRONLY | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) return Status::Error(path.string() + ": " + std::strerror(errno));
  if (!snapshots_created_) {
    Bytes header = EncodeSnapshotFileHeader();
    THEATER_RETURN_IF_ERROR(WriteAll(fd.get(), header.data(), header.size(), path));
    snapshots_created_ = true;
  }
  for (const auto& [ref, bytes] : snapshots) {
    // The record's header, then the state's bytes as they are (no copy into a record).
    Bytes header = EncodeSnapshotRecordHeader(ref);
    THEATER_RETURN_IF_ERROR(WriteAll(fd.get(), header.data(), header.size(), path));
    THEATER_RETURN_IF_ERROR(WriteAll(fd.get(), bytes.data(), bytes.size(), path));
  }
  // The chain's bytes follow: with --sync the states reach the disk first.
  if (sync) return SyncFile(fd.get(), path);
  return Status::Ok();
}

Status ChainStore::Sink::status() const {
  std::lock_guard lock(mu_);
  return error_;
}

void ChainStore::Sink::CloseFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  store_->open_files_.fetch_sub(1);
}

Status ChainStore::Sink::WriteOut(bool sync, bool final, bool swept) {
  std::lock_guard write_lock(write_mu_);
  if (swept) awaiting_checkpoint_ = false;
  // The two buffers trade places, so both keep their capacity from turn to turn (but not
  // without bound: a buffer that once held a huge turn is let go).
  Bytes& data = spare_;
  data.clear();
  if (data.capacity() > kMaxKeptBuffer) Bytes().swap(data);
  std::vector<std::pair<StateRef, Bytes>> snapshots;
  {
    std::lock_guard lock(mu_);
    data.swap(buffer_);
    snapshots.swap(pending_snapshots_);
    queued_ = false;
    // After a failed write nothing more is written: the file stays a chain that verifies
    // (a prefix of the real one) instead of one with a hole.
    if (!error_.ok()) return error_;
  }
  if (!loaded_) LoadExisting();
  // The states first: an event that reaches the chain file never names a state that did
  // not reach the snapshot file. After a failure nothing more is written.
  // (A snapshot Put wrote at once is synced here too, before the events that name it.)
  if (!snapshots.empty() || (sync && snapshots_unsynced_)) {
    std::vector<SnapshotBytes> spans(snapshots.begin(), snapshots.end());
    snapshots_unsynced_ = false;
    if (Status s = WriteSnapshots(spans, sync); !s.ok()) {
      std::lock_guard lock(mu_);
      if (error_.ok()) error_ = s;
      return s;
    }
  }
  if (data.empty()) return AddCheckpoints({}, sync, final);
  size_t header = 0;
  if (!created_) {
    // The file is created with the first write, off the actor's path.
    data.insert(data.begin(), kChainFileMagic, kChainFileMagic + 8);
    header = 8;
  }
  Status s;
  if (fd_ < 0) {
    int flags = created_ ? (O_WRONLY | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
    fd_ = ::open(path_.c_str(), flags, 0644);
    if (fd_ < 0) s = Status::Error(path_.string() + ": " + std::strerror(errno));
    else store_->open_files_.fetch_add(1);
  }
  if (fd_ >= 0) {
    created_ = true;
    s = WriteAll(fd_, data.data(), data.size(), path_);
    if (s.ok() && sync && ::fdatasync(fd_) != 0) s = Status::Error(path_.string() + ": fdatasync failed: " + std::strerror(errno));
    // Keep the file open for the next flush, unless too many are open.
    if (store_->open_files_.load() > store_->options_.max_open_files) CloseFile();
  }
  // Checkpoints only ever cover events already in the file.
  if (s.ok()) s = AddCheckpoints(std::span<const uint8_t>(data).subspan(header), sync, final);
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = s;
  }
  return s;
}

ChainStore::ChainStore(std::filesystem::path dir, Options options) : dir_(std::move(dir)), options_(options) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  writer_ = std::jthread([this](std::stop_token stop) { WriterLoop(stop); });
}

ChainStore::~ChainStore() {
  writer_.request_stop();
  cv_.notify_all();
  writer_.join();
  FlushAll();
}

std::shared_ptr<ChainStore::Sink> ChainStore::Open(const std::string& actor_id, bool append) {
  return std::shared_ptr<Sink>(new Sink(this, actor_id, dir_ / (actor_id + ".chain"), append));
}

void ChainStore::Sink::LoadExisting() {
  loaded_ = true;
  if (!created_) return;
  std::vector<Hash> hashes;
  VerifyChainFile(path_, nullptr, &hashes);
  for (const Hash& h : hashes) tree_.Add(MerkleLeafHash(h));
  if (auto data = ReadFile(CheckpointPathFor(path_)); data.ok()) {
    if (auto file = ParseCheckpointFile(*data); file.ok() && file->valid_bytes > 0) {  // else written anew
      checkpoint_file_created_ = true;
      if (!file->checkpoints.empty()) checkpointed_ = file->checkpoints.back().tree_size;
    }
  }
  // Events a crash left without a checkpoint are covered with the next one, due now.
  uncovered_since_ = std::chrono::steady_clock::now() - store_->options_.checkpoint_period;
}

Status ChainStore::Sink::AddCheckpoints(std::span<const uint8_t> records, bool sync, bool final) {
  const Options& options = store_->options_;
  // A new checkpoint file starts with its header.
  Bytes out = checkpoint_file_created_ ? Bytes() : EncodeCheckpointFileHeader(actor_id_);
  size_t header = out.size();
  auto checkpoint = [&] {
    Checkpoint c;
    c.tree_size = tree_.size();
    c.root = tree_.Root();
    c.timestamp_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
    if (options.signing_key) SignCheckpoint(actor_id_, *options.signing_key, c);
    PutBytes(out, EncodeCheckpointRecord(c));
    checkpointed_ = c.tree_size;
  };
  auto now = std::chrono::steady_clock::now();
  // Each record ends with its event's hash: the next leaf of the tree.
  for (size_t pos = 0; pos + 4 <= records.size();) {
    size_t len = size_t{records[pos]} << 24 | size_t{records[pos + 1]} << 16 | size_t{records[pos + 2]} << 8 |
                 records[pos + 3];
    pos += 4 + len;
    Hash h;
    std::copy(records.begin() + pos - 32, records.begin() + pos, h.begin());
    if (tree_.size() == checkpointed_) uncovered_since_ = now;
    tree_.Add(MerkleLeafHash(h));
    if (options.checkpoint_interval && tree_.size() % options.checkpoint_interval == 0) checkpoint();
  }
  bool due = options.checkpoint_period.count() > 0 && now - uncovered_since_ >= options.checkpoint_period;
  if ((final || due) && tree_.size() > checkpointed_) checkpoint();
  // Events still uncovered: the store's sweep comes back for them when they are due.
  if (tree_.size() > checkpointed_ && options.checkpoint_period.count() > 0 && !awaiting_checkpoint_) {
    awaiting_checkpoint_ = true;
    store_->AwaitCheckpoint(weak_from_this());
  }
  if (out.size() == header) return Status::Ok();
  std::filesystem::path path = CheckpointPathFor(path_);
  int flags = checkpoint_file_created_ ? (O_WRONLY | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return Status::Error(path.string() + ": " + std::strerror(errno));
  checkpoint_file_created_ = true;
  Status s = WriteAll(fd, out.data(), out.size(), path);
  if (s.ok() && sync && ::fdatasync(fd) != 0) s = Status::Error(path.string() + ": fdatasync failed: " + std::strerror(errno));
  ::close(fd);
  return s;
}

Status ChainStore::Flush(Sink& sink) { return sink.WriteOut(options_.sync); }

void ChainStore::Release(Sink& sink) {
  sink.WriteOut(options_.sync, /*final=*/true);
  std::lock_guard lock(sink.write_mu_);
  sink.CloseFile();
}

void ChainStore::MarkDirty(const std::shared_ptr<Sink>& sink) {
  std::lock_guard lock(mu_);
  dirty_.push_back(sink);
}

void ChainStore::FlushAll() {
  std::vector<std::weak_ptr<Sink>> dirty;
  {
    std::lock_guard lock(mu_);
    dirty.swap(dirty_);
  }
  for (auto& weak : dirty)
    if (auto sink = weak.lock()) sink->WriteOut(options_.sync);
}

void ChainStore::AwaitCheckpoint(std::weak_ptr<Sink> sink) {
  std::lock_guard lock(mu_);
  awaiting_checkpoint_.push_back(std::move(sink));
}

void ChainStore::SweepCheckpoints() {
  std::vector<std::weak_ptr<Sink>> awaiting;
  {
    std::lock_guard lock(mu_);
    awaiting.swap(awaiting_checkpoint_);
  }
  // Each writes its checkpoint if due, else puts itself back on the list.
  for (auto& weak : awaiting)
    if (auto sink = weak.lock()) sink->WriteOut(options_.sync, /*final=*/false, /*swept=*/true);
}

void ChainStore::WriterLoop(std::stop_token stop) {
  // The sweep runs a few times per period (at most once a second), so a checkpoint comes
  // at most about a quarter period late.
  auto sweep_every = std::clamp<std::chrono::milliseconds>(options_.checkpoint_period / 4, kWriteInterval,
                                                           std::chrono::milliseconds(1000));
  auto next_sweep = std::chrono::steady_clock::now() + sweep_every;
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    cv_.wait_for(lock, stop, kWriteInterval, [] { return false; });
    lock.unlock();
    FlushAll();
    if (options_.checkpoint_period.count() > 0 && std::chrono::steady_clock::now() >= next_sweep) {
      SweepCheckpoints();
      next_sweep = std::chrono::steady_clock::now() + sweep_every;
    }
    lock.lock();
  }
}

RecoveryReport RecoverChainFile(const std::filesystem::path& path, std::vector<ChainEvent>* events_out) {
  RecoveryReport report;
  std::error_code ec;
  // The checkpoint file is written after the chain file: its torn tail goes first.
  std::filesystem::path checkpoints = CheckpointPathFor(path);
  if (auto data = ReadFile(checkpoints); data.ok()) {
    auto file = ParseCheckpointFile(*data);
    if (file.ok() && !file->torn.empty()) {
      report.dropped_checkpoint_bytes = data->size() - file->valid_bytes;
      // Not even its header was whole: no checkpoint was written, the file goes.
      if (file->valid_bytes == 0) std::filesystem::remove(checkpoints, ec);
      else std::filesystem::resize_file(checkpoints, file->valid_bytes, ec);
    }
  }
  // A crash during an actor's very first write can leave part of the header: no event of
  // it was ever acknowledged, so the chain is empty.
  if (auto data = ReadFile(path); data.ok() && data->size() < 8 &&
                                  std::equal(data->begin(), data->end(), kChainFileMagic)) {
    report.dropped_bytes = data->size();
    WriteFileAtomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kChainFileMagic), 8));
  }
  // The snapshot file is written before the chain file: its torn tail holds only states
  // that no event in the chain file names.
  std::filesystem::path snapshots_path = SnapshotPathFor(path);
  auto snapshots = SnapshotFile::Open(snapshots_path);
  if (snapshots.ok() && !(*snapshots)->torn().empty()) {
    uintmax_t size = std::filesystem::file_size(snapshots_path, ec);
    if (!ec && size > (*snapshots)->valid_bytes()) {
      report.dropped_snapshot_bytes = size - (*snapshots)->valid_bytes();
      // A header cut short leaves no record: the file starts again with its header.
      if ((*snapshots)->valid_bytes() == 0) WriteFileAtomic(snapshots_path, EncodeSnapshotFileHeader());
      else std::filesystem::resize_file(snapshots_path, (*snapshots)->valid_bytes(), ec);
    }
  }
  std::vector<ChainEvent> events;
  report.verify = VerifyChainFile(path, &events);
  bool torn_tail = !report.verify.ok && report.verify.reason.rfind("truncated record", 0) == 0;
  if (torn_tail) {
    uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && report.verify.bad_offset < size) {
      report.dropped_bytes = size - report.verify.bad_offset;
      std::filesystem::resize_file(path, report.verify.bad_offset, ec);
      if (!ec) {
        events.clear();
        report.verify = VerifyChainFile(path, &events);
      }
    }
  }
  if (report.verify.ok) {
    // Every state the chain names is in the snapshot file (written before the events
    // naming it). Its bytes are checked when it is read (and by `theater chain verify`).
    if (!snapshots.ok()) {
      report.snapshots_problem = snapshots.error();
    } else {
      for (const ChainEvent& e : events) {
        auto named = SnapshotsNamedBy(e);
        if (!named.ok()) {
          report.snapshots_problem = named.error();
          break;
        }
        for (const StateRef& ref : *named)
          if (!(*snapshots)->Has(ref.sha256)) {
            report.snapshots_problem = "event " + std::to_string(e.seq) + " names snapshot " + ToHex(ref.sha256) +
                                       ", which " + snapshots_path.string() + " does not hold";
            break;
          }
        if (!report.snapshots_problem.empty()) break;
      }
    }
  }
  if (events_out) events_out->insert(events_out->end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  return report;
}

}  // namespace theater
