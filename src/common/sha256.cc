#include "common/sha256.h"

#include <openssl/sha.h>

namespace theater {

Hash Sha256(std::span<const uint8_t> data) {
  Hash out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

}  // namespace theater
