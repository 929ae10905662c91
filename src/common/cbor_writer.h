// CborWriter: CBOR (RFC 8949) written straight into a byte buffer, without building a
// JSON tree first. It encodes exactly as nlohmann's to_cbor does — shortest heads,
// definite lengths, a float as float32 when that is lossless, NaN and infinities as
// half floats — so an event written this way is the same bytes as one built as JSON.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/bytes.h"

namespace theater {

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
};

}  // namespace theater
