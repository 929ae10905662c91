#include "chain/event.h"

namespace theater {

static void PutU64(Bytes& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

static void PutU32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes CanonicalEncoding(const ChainEvent& e) {
  Bytes out;
  out.reserve(8 + 1 + 32 + 8 + 4 + e.type.size() + 8 + e.data.size());
  PutU64(out, e.seq);
  out.push_back(e.parent ? 1 : 0);
  if (e.parent) out.insert(out.end(), e.parent->begin(), e.parent->end());
  PutU64(out, e.timestamp_ms);
  PutU32(out, static_cast<uint32_t>(e.type.size()));
  out.insert(out.end(), e.type.begin(), e.type.end());
  PutU64(out, e.data.size());
  out.insert(out.end(), e.data.begin(), e.data.end());
  return out;
}

Hash ComputeEventHash(const ChainEvent& e) { return Sha256(CanonicalEncoding(e)); }

uint64_t ShortHash(const Hash& h) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | h[i];
  return v;
}

}  // namespace theater
