// Chain files for many actors: <dir>/<actor-id>.chain in the format of chain/chain_file.h
// (docs/storage.md says why files and not a database).
//
// Appending an event only copies its record into the actor's buffer. The buffer reaches
// the file in two ways: Flush(), which the actor calls before any effect of its turn leaves
// it (a message, a response: nothing acknowledged is ever lost to a crash of the process),
// and a writer thread that writes what is left every few milliseconds. Records are written
// whole, in order, with one write() per flush; a record cut short by a crash mid-write is
// detected by the reader (a truncated record) and removed by RecoverChainFile().
//
// Each actor's states go to its snapshot file, <dir>/<actor-id>.snapshots
// (chain/snapshot_file.h): a state the chain names is written before the chain's bytes in
// the same flush, so no event that reaches the file names a state that did not.
//
// Each chain also gets checkpoints (chain/checkpoint.h): the Merkle root of its first N
// events, every `checkpoint_interval` events, within `checkpoint_period` of any event
// reaching the file (so a signature soon covers the end of a chain that goes quiet), and
// whenever the actor stops; appended to <dir>/<actor-id>.checkpoints after those events
// are in the chain file, and signed when the store has a key.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "chain/chain_file.h"
#include "chain/merkle.h"
#include "common/ed25519.h"
#include "chain/event.h"
#include "common/status.h"
#include "storage/snapshot_store.h"

namespace theater {

class ChainStore {
 public:
  struct Options {
    // fdatasync after every flush: events then survive power loss too, at the cost of a
    // disk sync per turn. Without it they survive any crash of the process.
    bool sync = false;
    // Files kept open for appending; beyond this a flush opens and closes its file.
    size_t max_open_files = 512;
    // A checkpoint every this many events (0: not by count).
    uint64_t checkpoint_interval = 1024;
    // A checkpoint at most this long after an event reached the file, even when nothing
    // more is written (0: not by time). Until then a signature covers no event after the
    // last checkpoint; the cost is one record (and one signature) per period per actor
    // that keeps writing.
    std::chrono::milliseconds checkpoint_period{5000};
    // Signs checkpoints when set.
    std::shared_ptr<const Ed25519Key> signing_key;
  };

  // One actor's chain file, and its snapshot file.
  class Sink : public std::enable_shared_from_this<Sink>, public SnapshotStore {
   public:
    ~Sink() override;
    // Queues the record of `event` (`encoding` is its canonical encoding).
    void Append(const ChainEvent& event, std::span<const uint8_t> encoding);
    // SnapshotStore: a snapshot is queued like an event, and written before the events
    // appended after it; one of kDirectSnapshotBytes or more is written to the file at
    // once instead, so that it is never copied. Read waits for a write in progress, then
    // reads the file.
    static constexpr size_t kDirectSnapshotBytes = 1u << 20;
    bool Has(const Hash& digest) const override;
    void Put(const StateRef& ref, std::span<const uint8_t> bytes) override;
    Result<Bytes> Read(const StateRef& ref) const override;
    const std::filesystem::path& path() const { return path_; }
    // The first write error, if any (the chain in memory is still complete).
    Status status() const;

   private:
    friend class ChainStore;
    Sink(ChainStore* store, std::string actor_id, std::filesystem::path path, bool exists);
    // Writes the buffer, then the checkpoints it completes or that are due (and one for
    // everything written so far when `final`); called with no lock held. `swept`: called by
    // the store's sweep of sinks awaiting a checkpoint.
    Status WriteOut(bool sync, bool final = false, bool swept = false);
    void CloseFile();  // write_mu_ held
    // The rest are called with write_mu_ held.
    using SnapshotBytes = std::pair<StateRef, std::span<const uint8_t>>;
    Status WriteSnapshots(const std::vector<SnapshotBytes>& snapshots, bool sync);
    Status AddCheckpoints(std::span<const uint8_t> records, bool sync, bool final);
    void LoadExisting();  // an existing chain goes on: its Merkle tree and checkpoints

    ChainStore* store_;
    std::string actor_id_;
    std::filesystem::path path_;
    mutable std::mutex mu_;
    Bytes buffer_;
    // Guarded by mu_: states queued for the snapshot file, and the digests of every state
    // the file holds or will (so none is written twice).
    std::vector<std::pair<StateRef, Bytes>> pending_snapshots_;
    std::set<Hash> snapshot_digests_;
    bool queued_ = false;  // on the store's dirty list
    Bytes spare_;          // guarded by write_mu_: the buffer being written
    Status error_;
    mutable std::mutex write_mu_;  // one writer at a time, so records stay in order
    bool created_;                 // guarded by write_mu_
    int fd_ = -1;                  // guarded by write_mu_
    bool snapshots_created_;       // guarded by write_mu_: the snapshot file has its header
    bool snapshots_unsynced_ = false;  // guarded by write_mu_: written at once by Put, not synced yet
    // Guarded by write_mu_: the Merkle tree of what is in the file, the tree size of the
    // last checkpoint, and whether the checkpoint file has its header.
    MerkleFrontier tree_;
    uint64_t checkpointed_ = 0;
    // When the first event after the last checkpoint reached the file, and whether the
    // sink is on the store's list of those awaiting a checkpoint.
    std::chrono::steady_clock::time_point uncovered_since_;
    bool awaiting_checkpoint_ = false;
    bool checkpoint_file_created_ = false;
    bool loaded_ = false;
  };

  explicit ChainStore(std::filesystem::path dir) : ChainStore(std::move(dir), Options()) {}
  ChainStore(std::filesystem::path dir, Options options);
  ~ChainStore();  // writes everything out
  ChainStore(const ChainStore&) = delete;
  ChainStore& operator=(const ChainStore&) = delete;

  // The sink of <dir>/<actor_id>.chain; the file is created (with its header) when the
  // first events are written out. With `append`, the file exists and its chain goes on.
  std::shared_ptr<Sink> Open(const std::string& actor_id, bool append = false);
  // Writes out what `sink` has buffered, now (and syncs it when the store syncs).
  Status Flush(Sink& sink);
  // Writes out every buffer, now.
  void FlushAll();
  // Lets the sink's file go (it stays readable); later appends reopen it.
  void Release(Sink& sink);
  const std::filesystem::path& dir() const { return dir_; }
  const Options& options() const { return options_; }

 private:
  void MarkDirty(const std::shared_ptr<Sink>& sink);
  void AwaitCheckpoint(std::weak_ptr<Sink> sink);
  // Writes the checkpoints that have come due on sinks nobody writes to any more.
  void SweepCheckpoints();
  void WriterLoop(std::stop_token stop);

  std::filesystem::path dir_;
  Options options_;
  std::atomic<size_t> open_files_{0};
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::weak_ptr<Sink>> dirty_;
  std::vector<std::weak_ptr<Sink>> awaiting_checkpoint_;  // sinks with events no checkpoint covers
  std::jthread writer_;
};

// What RecoverChainFile found.
struct RecoveryReport {
  VerifyReport verify;                    // of what is left
  uint64_t dropped_bytes = 0;             // a torn record cut off the end
  uint64_t dropped_checkpoint_bytes = 0;  // a torn checkpoint record cut off its file's end
  uint64_t dropped_snapshot_bytes = 0;    // a torn snapshot record cut off its file's end
  // Why the snapshot file does not hold every state the chain names ("" when it does).
  std::string snapshots_problem;
  bool ok() const { return verify.ok && snapshots_problem.empty(); }
};

// Checks a chain file after a crash: a record cut short at the end of the file (a write
// the crash interrupted, whose event was never acknowledged) is removed, and so is a torn
// last record of its checkpoint file and of its snapshot file; anything else that does
// not verify is reported and left alone. Every state the chain names must then be in the
// snapshot file (its bytes are checked when read).
// The events that verify are appended to `events_out` when given (read once, for a
// caller that goes on with the chain).
RecoveryReport RecoverChainFile(const std::filesystem::path& path, std::vector<ChainEvent>* events_out = nullptr);

}  // namespace theater
