// Big-endian integers in and out of byte strings: the building blocks of the chain,
// checkpoint and export formats (docs/chain-format.md).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/bytes.h"

namespace theater {

inline void PutUint(Bytes& out, uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
inline void PutBytes(Bytes& out, std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); }

// Reads from a byte span; Need() says whether n more bytes are there (callers check it).
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}
  bool Need(size_t n) const { return n <= data_.size() - pos_; }
  uint64_t Uint(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | data_[pos_++];
    return v;
  }
  std::span<const uint8_t> Take(size_t n) {
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  template <size_t N>
  std::array<uint8_t, N> TakeArray() {
    std::array<uint8_t, N> a;
    auto s = Take(N);
    std::copy(s.begin(), s.end(), a.begin());
    return a;
  }
  size_t pos() const { return pos_; }
  size_t left() const { return data_.size() - pos_; }
  bool done() const { return pos_ == data_.size(); }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace theater
