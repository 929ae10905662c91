// Base64 (RFC 4648, standard alphabet, with padding) over OpenSSL's codec: how the
// management protocol carries bytes compactly (docs/protocol.md, "Bytes").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace theater {

std::string Base64Encode(const Bytes& bytes);
// nullopt when `text` is not canonical base64: a length that is not a multiple of 4, a
// character outside the alphabet, whitespace, or padding anywhere but at the end.
std::optional<Bytes> Base64Decode(std::string_view text);

}  // namespace theater
