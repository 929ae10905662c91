// An actor's chain in memory: events linked by their parent hashes. Appending computes
// the hash and hands the event to an optional sink (the chain file) before returning.
#pragma once

#include <functional>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "chain/event.h"
#include "common/status.h"

namespace theater {

class Chain {
 public:
  // Called with every new event and its canonical encoding; an error is returned from Append.
  using Sink = std::function<Status(const ChainEvent&, std::span<const uint8_t> encoding)>;

  void set_sink(Sink sink) { sink_ = std::move(sink); }

  // Records an event at `timestamp_ms`. The event is in the chain even if the sink fails.
  Result<const ChainEvent*> Append(std::string type, Bytes data, uint64_t timestamp_ms);
  // Takes `events` as the chain so far (an earlier run's, read back from its file), so that
  // the next Append continues it. They must form a chain: seq 0, 1, ..., each hash right
  // and linked to the one before. The chain must be empty; the sink is not called (the
  // events are already wherever it writes).
  Status Restore(std::vector<ChainEvent> events);

  const std::vector<ChainEvent>& events() const { return events_; }
  size_t size() const { return events_.size(); }
  std::optional<Hash> head() const {
    return events_.empty() ? std::nullopt : std::optional<Hash>(events_.back().hash);
  }

 private:
  std::vector<ChainEvent> events_;
  Sink sink_;
};

}  // namespace theater
