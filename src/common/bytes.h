// Byte strings and their hex form.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace theater {

using Bytes = std::vector<uint8_t>;

inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string ToString(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

std::string ToHex(std::span<const uint8_t> bytes);
// Lower- or upper-case hex, even length; nullopt otherwise.
std::optional<Bytes> FromHex(std::string_view hex);

// True when the bytes are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::span<const uint8_t> bytes);
inline bool IsValidUtf8(std::string_view s) {
  return IsValidUtf8(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD: for host
// text (command output, environment values, file names) handed to an actor, as the
// engine only passes valid strings.
std::string ToValidUtf8(std::string_view text);

}  // namespace theater
