// Decoding an event's data (docs/chain-format.md, section 6) when the chain may be hostile.
//
// The hashes of a chain say nothing about whether its data is sane CBOR: a tampered or
// made-up chain (an export from elsewhere) can hold anything that hashes right. nlohmann's
// CBOR reader recurses once per level of nesting, and throws on a declared size it cannot
// hold even when told not to throw. So the bytes are walked first, without recursion:
// every declared length must fit in what is left, nesting stays within a bound no
// component value needs, and the only tag is a byte string by reference (kBytesRefTag
// over exactly 40 bytes: common/cbor_writer.h); any other tag is refused.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/state_ref.h"

namespace theater {

// Deeper than any value the runtime records (component types are far shallower), far
// shallower than what overflows a thread's stack.
inline constexpr size_t kMaxEventDataDepth = 256;

// Why `data` is not one well-formed CBOR item within those bounds; "" when it is. When
// `refs` is given, the byte strings the data names by reference are added to it.
std::string CheckEventData(std::span<const uint8_t> data, std::vector<StateRef>* refs = nullptr);

// Whether `data` may name a byte string by reference (it holds the tag's bytes): a cheap
// test before CheckEventData walks it for the references.
bool MayNameBytesByRef(std::span<const uint8_t> data);

// A byte string by reference in decoded data (a binary whose subtype is the tag), or
// nullopt for any other value.
std::optional<StateRef> BytesRefIn(const nlohmann::json& value);
std::optional<StateRef> BytesRefIn(const nlohmann::ordered_json& value);

// The decoded data (a byte string by reference is a binary with subtype kBytesRefTag), or a discarded value (is_discarded()) when it is not acceptable.
nlohmann::json DecodeEventData(std::span<const uint8_t> data);
nlohmann::ordered_json DecodeEventDataOrdered(std::span<const uint8_t> data);

}  // namespace theater
