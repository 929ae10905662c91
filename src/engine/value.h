// Value: a component-model value as the rest of Theater sees it. engine/ converts between
// this and wasmtime's representation (value_convert.cc), so nothing above engine/ needs a
// wasmtime header. `list<u8>` has its own kind (Bytes) so that payloads and states stay
// one contiguous buffer instead of a list of one value per byte.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/bytes.h"

namespace theater {

class Value;
using ValueList = std::vector<Value>;

struct NamedValue;  // record field
using FieldList = std::vector<NamedValue>;

class Value {
 public:
  enum class Kind {
    kBool, kS8, kU8, kS16, kU16, kS32, kU32, kS64, kU64, kF32, kF64, kChar, kString,
    kBytes,    // list<u8>
    kList,     // list<T> for any other T
    kRecord, kTuple, kVariant, kEnum, kOption, kResult, kFlags,
  };

  Value() : Value(false) {}
  explicit Value(bool b) : kind_(Kind::kBool), scalar_(b ? 1u : 0u) {}

  static Value S8(int8_t v) { return Scalar(Kind::kS8, static_cast<uint64_t>(v)); }
  static Value U8(uint8_t v) { return Scalar(Kind::kU8, v); }
  static Value S16(int16_t v) { return Scalar(Kind::kS16, static_cast<uint64_t>(v)); }
  static Value U16(uint16_t v) { return Scalar(Kind::kU16, v); }
  static Value S32(int32_t v) { return Scalar(Kind::kS32, static_cast<uint64_t>(v)); }
  static Value U32(uint32_t v) { return Scalar(Kind::kU32, v); }
  static Value S64(int64_t v) { return Scalar(Kind::kS64, static_cast<uint64_t>(v)); }
  static Value U64(uint64_t v) { return Scalar(Kind::kU64, v); }
  static Value F32(float v);
  static Value F64(double v);
  static Value Char(uint32_t code_point) { return Scalar(Kind::kChar, code_point); }
  static Value String(std::string s) { Value v(Kind::kString); v.text_ = std::move(s); return v; }
  static Value BytesValue(Bytes b) { Value v(Kind::kBytes); v.bytes_ = std::move(b); return v; }
  static Value List(ValueList items) { Value v(Kind::kList); v.items_ = std::move(items); return v; }
  static Value Tuple(ValueList items) { Value v(Kind::kTuple); v.items_ = std::move(items); return v; }
  static Value Record(FieldList fields);
  static Value Variant(std::string name, std::optional<Value> payload);
  static Value Enum(std::string name) { Value v(Kind::kEnum); v.text_ = std::move(name); return v; }
  static Value None() { return Value(Kind::kOption); }
  static Value Some(Value inner);
  static Value Ok(std::optional<Value> payload = std::nullopt);
  static Value Err(std::optional<Value> payload = std::nullopt);
  static Value Flags(std::vector<std::string> names);

  // option<list<u8>>, the shape of every actor state.
  static Value OptionalBytes(const std::optional<Bytes>& b) {
    return b ? Some(BytesValue(*b)) : None();
  }

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }

  bool as_bool() const { return scalar_ != 0; }
  int64_t as_signed() const;    // s8..s64, sign-extended
  uint64_t as_unsigned() const { return scalar_; }  // u8..u64, char
  float as_f32() const;
  double as_f64() const;
  const std::string& as_string() const { return text_; }  // string; enum/variant case name
  const Bytes& as_bytes() const { return bytes_; }
  Bytes& as_bytes() { return bytes_; }
  const ValueList& items() const { return items_; }  // list, tuple
  ValueList& items() { return items_; }
  const FieldList& fields() const;                    // record
  const std::vector<std::string>& flag_names() const { return flags_; }

  // option: has_payload() = some; variant/result: the payload if any.
  bool has_payload() const { return payload_ != nullptr; }
  const Value& payload() const { return *payload_; }
  Value& payload() { return *payload_; }
  bool is_ok() const { return scalar_ != 0; }  // result
  const std::string& case_name() const { return text_; }  // variant, enum

  Value(const Value& other);
  Value& operator=(const Value& other);
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;
  ~Value();

  bool operator==(const Value& other) const;

 private:
  explicit Value(Kind k) : kind_(k) {}
  static Value Scalar(Kind k, uint64_t bits) { Value v(k); v.scalar_ = bits; return v; }

  Kind kind_;
  uint64_t scalar_ = 0;           // bool, integers, char, float bits; result: 1 = ok
  std::string text_;              // string, enum, variant case
  Bytes bytes_;                   // list<u8>
  ValueList items_;               // list, tuple
  std::unique_ptr<FieldList> fields_;  // record
  std::unique_ptr<Value> payload_;     // option, variant, result
  std::vector<std::string> flags_;
};

struct NamedValue {
  std::string name;
  Value value;
  bool operator==(const NamedValue&) const = default;
};

// WIT-like text of a value, for logs and messages: some("hi"), ok(tuple(...)).
std::string ToDebugString(const Value& v);

}  // namespace theater
