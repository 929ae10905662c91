// SHA-256 (OpenSSL libcrypto).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace theater {

using Hash = std::array<uint8_t, 32>;

Hash Sha256(std::span<const uint8_t> data);
inline Hash Sha256(std::string_view s) {
  return Sha256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

}  // namespace theater
