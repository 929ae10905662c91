// engine-internal: values as the wrapper crate's typed calls take them (third_party/
// wasmtime-shim/src/fast.rs): a flat array of slots in the order of a depth-first walk
// of the type, where `list<u8>` and strings are one slot each (a pointer and a length),
// so bytes cross into and out of the sandbox in bulk. The layout rules are in fast.rs.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/shim.h"
#include "engine/value.h"

namespace theater::wt {

// The part of a WIT type that the typed shapes use.
struct SlotType {
  enum class Kind { kScalar, kString, kBytes, kOption, kResult, kTuple };
  Kind kind = Kind::kScalar;
  Value::Kind scalar = Value::Kind::kBool;  // kScalar: which one
  std::vector<SlotType> items;              // kOption: the leaf; kResult: the ok type if any; kTuple: items
  bool has_ok = false;                      // kResult
};

// A function's parameter and result types, parsed from its signature as RenderFuncType
// writes it ("func(string, list<u8>) -> result<_, string>"); nullopt for types outside
// the shapes (records, variants, lists of other things...).
struct SlotSignature {
  std::vector<SlotType> params;
  std::optional<SlotType> result;
};
std::optional<SlotSignature> ParseSlotSignature(std::string_view signature);

// Appends the slots of `v` (pointing into `v`, which must outlive them).
Status ToSlots(const Value& v, const SlotType& type, std::vector<theater_slot_t>& out);
// Reads a value of `type` starting at slots[i] (copies the bytes); advances i.
Result<Value> FromSlots(std::span<const theater_slot_t> slots, size_t& i, const SlotType& type);
// How many slots a value of `type` takes.
size_t SlotCount(const SlotType& type);

}  // namespace theater::wt
