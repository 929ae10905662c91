#include "chain/chain.h"

namespace theater {

Result<const ChainEvent*> Chain::Append(std::string type, Bytes data, uint64_t timestamp_ms) {
  ChainEvent e;
  e.seq = events_.size();
  e.parent = head();
  e.timestamp_ms = timestamp_ms;
  e.type = std::move(type);
  e.data = std::move(data);
  Bytes encoding = CanonicalEncoding(e);
  e.hash = Sha256(encoding);
  events_.push_back(std::move(e));
  const ChainEvent* added = &events_.back();
  if (sink_) THEATER_RETURN_IF_ERROR(sink_(*added, encoding));
  return added;
}

Status Chain::Restore(std::vector<ChainEvent> events) {
  if (!events_.empty()) return Status::Error("the chain already has events");
  for (size_t i = 0; i < events.size(); ++i) {
    const ChainEvent& e = events[i];
    std::string where = "event " + std::to_string(i) + ": ";
    if (e.seq != i) return Status::Error(where + "gap in sequence (seq " + std::to_string(e.seq) + ")");
    if (e.parent != (i == 0 ? std::nullopt : std::optional<Hash>(events[i - 1].hash)))
      return Status::Error(where + "broken parent link");
    if (ComputeEventHash(e) != e.hash) return Status::Error(where + "hash mismatch");
  }
  events_ = std::move(events);
  return Status::Ok();
}

}  // namespace theater
