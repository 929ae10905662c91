// CborWriter: CBOR (RFC 8949) written straight into a byte buffer, without building a
// JSON tree first. It encodes exactly as nlohmann's to_cbor does — shortest heads,
// definite lengths, a float as float32 when that is lossless, NaN and infinities as
// half floats — so an event written this way is the same bytes as one built as JSON.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/sha256.h"

namespace theater {

// Large byte strings by reference (docs/chain-format.md, section 6.2): in event data, a
// byte string of kMinBytesByRef bytes or more may be written as the tag kBytesRefTag over
// a 40-byte string, its SHA-256 then its size (8 bytes, big-endian); its bytes go to the
// actor's snapshot file, like a state's. The tag is the only one event data uses.
inline constexpr uint64_t kBytesRefTag = 0x54484231;  // "THB1"
inline constexpr size_t kMinBytesByRef = 64 * 1024;
inline constexpr size_t kMaxBytesByRef = 64u << 20;  // a snapshot's most (kMaxSnapshotBytes); larger stays inline
inline constexpr size_t kBytesRefSize = 40;
// A byte string written by reference, and the bytes it names (still the caller's).
struct BytesByRef {
  Hash sha256{};
  std::span<const uint8_t> bytes;
};
// Whether a byte string of `size` bytes is written by reference. The one rule, for the
// writer and for JSON trees (WithLargeBytesByRef): a replay must write the same bytes.
inline bool GoesByRef(size_t size) { return size >= kMinBytesByRef && size <= kMaxBytesByRef; }
// The 40 bytes under the tag.
std::array<uint8_t, kBytesRefSize> EncodeBytesRef(const Hash& sha256, uint64_t size);

class CborWriter {
 public:
  explicit CborWriter(Bytes& out) : out_(out) {}

  void Null() { out_.push_back(0xf6); }
  void Bool(bool b) { out_.push_back(b ? 0xf5 : 0xf4); }
  void UInt(uint64_t v) { Head(0, v); }
  void Int(int64_t v) {
    if (v >= 0) Head(0, static_cast<uint64_t>(v));
    else Head(1, static_cast<uint64_t>(-1 - v));
  }
  void Double(double d);
  void Text(std::string_view s);
  void ByteString(std::span<const uint8_t> b);
  // From now on a byte string of kMinBytesByRef..kMaxBytesByRef bytes is written by reference and
  // listed in `refs` (whose bytes must outlive the event's recording).
  void WriteLargeBytesByRef(std::vector<BytesByRef>* refs) { refs_ = refs; }
  // Heads of an array of n items / a map of n pairs; the items (keys and values) follow.
  void Array(uint64_t n) { Head(4, n); }
  void Map(uint64_t n) { Head(5, n); }
  // A map key.
  void Key(std::string_view s) { Text(s); }
  // An item that is already CBOR.
  void Raw(std::span<const uint8_t> item) { out_.insert(out_.end(), item.begin(), item.end()); }

 private:
  void Head(uint8_t major, uint64_t argument);
  Bytes& out_;
  std::vector<BytesByRef>* refs_ = nullptr;
};

// An event's data as it is written: `w` writes CBOR into `data`, large byte strings by
// reference, listed in `refs` (ActorContext::RecordRaw takes both).
struct EventWriter {
  EventWriter() { w.WriteLargeBytesByRef(&refs); }
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;
  Bytes data;
  std::vector<BytesByRef> refs;
  CborWriter w{data};
};

}  // namespace theater
