// Component value types, read from the WIT-like text the engine renders them in
// ("result<list<u8>, string>", "record{hash: u64, ...}", "func(string) -> u64"), and
// values read back from their chain form (runtime/value_json.h) with the help of a type:
// the chain keeps values without types, and replay needs them whole again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/snapshot_source.h"
#include "common/status.h"
#include "engine/value.h"

namespace theater {

struct ValueType {
  enum class Kind {
    kNone,  // no type (a result or variant case without payload)
    kBool, kS8, kU8, kS16, kU16, kS32, kU32, kS64, kU64, kF32, kF64, kChar, kString,
    kList, kTuple, kRecord, kVariant, kEnum, kOption, kResult, kFlags,
  };
  Kind kind = Kind::kNone;
  std::vector<ValueType> items;    // list/option: [element]; tuple; record fields; variant cases; result: [ok, err]
  std::vector<std::string> names;  // record fields, variant cases, enum cases, flags
};

struct FuncType {
  std::vector<ValueType> params;
  ValueType result;  // kNone when the function returns nothing
};

Result<ValueType> ParseValueType(std::string_view text);
Result<FuncType> ParseFuncType(std::string_view text);

// The inverse of ValueToJson for a value of type `type`. Bytes recorded by reference are
// read from `snapshots` (an error without one).
Result<Value> JsonToValue(const nlohmann::json& json, const ValueType& type, const SnapshotSource* snapshots = nullptr);

}  // namespace theater
