// Byte strings and their hex form.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstddef>
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
// Exactly N bytes in hex (a digest, a key, a signature); nullopt otherwise.
template <size_t N>
std::optional<std::array<uint8_t, N>> FromHexArray(std::string_view hex) {
  auto bytes = FromHex(hex);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<uint8_t, N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

// True when the bytes are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::span<const uint8_t> bytes);
inline bool IsValidUtf8(std::string_view s) {
  return IsValidUtf8(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD: for host
// text (command output, environment values, file names) handed to an actor, as the
// engine only passes valid strings.
std::string ToValidUtf8(std::string_view text);
// `text` made safe to print on one line of a log or a terminal: control characters (C0
// including line breaks and ESC, DEL, C1), Unicode's bidirectional overrides and bytes
// that are not UTF-8 are written as escapes (\n, \t, \r, \xNN, \u{NNNN}), so that
// what an actor says can neither forge lines nor drive the terminal. Longer than
// `max_bytes` it is cut (at a character) and ends with "… (N bytes)".
std::string EscapeForLog(std::string_view text, size_t max_bytes = SIZE_MAX);

}  // namespace theater
