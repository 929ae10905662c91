// Decoding an event's data (docs/chain-format.md, section 6) when the chain may be hostile.
//
// The hashes of a chain say nothing about whether its data is sane CBOR: a tampered or
// made-up chain (an export from elsewhere) can hold anything that hashes right. nlohmann's
// CBOR reader recurses once per level of nesting, and throws on a declared size it cannot
// hold even when told not to throw. So the bytes are walked first, without recursion:
// every declared length must fit in what is left, nesting stays within a bound no
// component value needs, and tags (which no event uses) are refused.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace theater {

// Deeper than any value the runtime records (component types are far shallower), far
// shallower than what overflows a thread's stack.
inline constexpr size_t kMaxEventDataDepth = 256;

// Why `data` is not one well-formed CBOR item within those bounds; "" when it is.
std::string CheckEventData(std::span<const uint8_t> data);

// The decoded data, or a discarded value (is_discarded()) when it is not acceptable.
nlohmann::json DecodeEventData(std::span<const uint8_t> data);
nlohmann::ordered_json DecodeEventDataOrdered(std::span<const uint8_t> data);

}  // namespace theater
