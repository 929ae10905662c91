#include "common/cbor_writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace theater {
namespace {

template <typename T>
void BigEndian(Bytes& out, T value) {
  for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

}  // namespace

void CborWriter::Head(uint8_t major, uint64_t argument) {
  uint8_t m = static_cast<uint8_t>(major << 5);
  if (argument <= 0x17) {
    out_.push_back(m | static_cast<uint8_t>(argument));
  } else if (argument <= 0xff) {
    out_.push_back(m | 0x18);
    out_.push_back(static_cast<uint8_t>(argument));
  } else if (argument <= 0xffff) {
    out_.push_back(m | 0x19);
    BigEndian(out_, static_cast<uint16_t>(argument));
  } else if (argument <= 0xffffffff) {
    out_.push_back(m | 0x1a);
    BigEndian(out_, static_cast<uint32_t>(argument));
  } else {
    out_.push_back(m | 0x1b);
    BigEndian(out_, argument);
  }
}

void CborWriter::Double(double d) {
  if (std::isnan(d)) {
    out_.insert(out_.end(), {0xf9, 0x7e, 0x00});
  } else if (std::isinf(d)) {
    out_.insert(out_.end(), {0xf9, static_cast<uint8_t>(d > 0 ? 0x7c : 0xfc), 0x00});
  } else if (d >= static_cast<double>(std::numeric_limits<float>::lowest()) &&
             d <= static_cast<double>(std::numeric_limits<float>::max()) &&
             static_cast<double>(static_cast<float>(d)) == d) {
    out_.push_back(0xfa);
    BigEndian(out_, std::bit_cast<uint32_t>(static_cast<float>(d)));
  } else {
    out_.push_back(0xfb);
    BigEndian(out_, std::bit_cast<uint64_t>(d));
  }
}

void CborWriter::Text(std::string_view s) {
  Head(3, s.size());
  out_.insert(out_.end(), s.begin(), s.end());
}

std::array<uint8_t, kBytesRefSize> EncodeBytesRef(const Hash& sha256, uint64_t size) {
  std::array<uint8_t, kBytesRefSize> out{};
  std::copy(sha256.begin(), sha256.end(), out.begin());
  for (int i = 0; i < 8; ++i) out[32 + i] = static_cast<uint8_t>(size >> (56 - 8 * i));
  return out;
}

void CborWriter::ByteString(std::span<const uint8_t> b) {
  if (refs_ && GoesByRef(b.size())) {
    Hash digest = Sha256(b);
    out_.push_back(0xda);  // tag, 4-byte number
    BigEndian(out_, static_cast<uint32_t>(kBytesRefTag));
    Head(2, kBytesRefSize);
    auto ref = EncodeBytesRef(digest, b.size());
    out_.insert(out_.end(), ref.begin(), ref.end());
    refs_->push_back(BytesByRef{digest, b});
    return;
  }
  Head(2, b.size());
  out_.insert(out_.end(), b.begin(), b.end());
}

}  // namespace theater
