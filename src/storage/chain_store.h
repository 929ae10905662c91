// Chain files for many actors: <dir>/<actor-id>.chain in the format of chain/chain_file.h.
// Appending an event only copies its record into the actor's buffer; a writer thread
// writes the buffers out every few milliseconds (one write per actor with new events), so
// recording costs no system call on the actor's path and thousands of actors need no
// thousands of open files. Flush() writes an actor's buffer at once.
#pragma once

#include <condition_variable>
#include <span>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chain/event.h"
#include "common/status.h"

namespace theater {

class ChainStore {
 public:
  // One actor's chain file.
  class Sink : public std::enable_shared_from_this<Sink> {
   public:
    // Queues the record of `event` (`encoding` is its canonical encoding).
    void Append(const ChainEvent& event, std::span<const uint8_t> encoding);
    const std::filesystem::path& path() const { return path_; }
    ~Sink() { WriteOut(); }
    // The first write error, if any (the chain in memory is still complete).
    Status status() const;

   private:
    friend class ChainStore;
    explicit Sink(ChainStore* store, std::filesystem::path path) : store_(store), path_(std::move(path)) {}
    Status WriteOut();  // writes the buffer; called with no lock held

    ChainStore* store_;
    std::filesystem::path path_;
    mutable std::mutex mu_;
    Bytes buffer_;
    bool queued_ = false;  // on the store's dirty list
    Status error_;
    std::mutex write_mu_;   // one writer at a time, so records stay in order
    bool created_ = false;  // guarded by write_mu_
  };

  explicit ChainStore(std::filesystem::path dir);
  ~ChainStore();  // writes everything out
  ChainStore(const ChainStore&) = delete;
  ChainStore& operator=(const ChainStore&) = delete;

  // The sink of <dir>/<actor_id>.chain; the file is created (with its header) when the
  // first events are written out.
  Result<std::shared_ptr<Sink>> Open(const std::string& actor_id);
  // Writes out what `sink` has buffered, now.
  Status Flush(Sink& sink);
  // Writes out every buffer, now.
  void FlushAll();
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void MarkDirty(const std::shared_ptr<Sink>& sink);
  void WriterLoop(std::stop_token stop);

  std::filesystem::path dir_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::weak_ptr<Sink>> dirty_;
  std::jthread writer_;
  friend class Sink;
};

}  // namespace theater
