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

}  // namespace theater
