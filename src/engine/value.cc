#include "engine/value.h"

#include <cstring>
#include <sstream>

namespace theater {

Value Value::F32(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return Scalar(Kind::kF32, bits);
}

Value Value::F64(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return Scalar(Kind::kF64, bits);
}

float Value::as_f32() const {
  uint32_t bits = static_cast<uint32_t>(scalar_);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

double Value::as_f64() const {
  double d;
  std::memcpy(&d, &scalar_, sizeof d);
  return d;
}

int64_t Value::as_signed() const {
  switch (kind_) {
    case Kind::kS8: return static_cast<int8_t>(scalar_);
    case Kind::kS16: return static_cast<int16_t>(scalar_);
    case Kind::kS32: return static_cast<int32_t>(scalar_);
    default: return static_cast<int64_t>(scalar_);
  }
}

Value Value::Record(FieldList fields) {
  Value v(Kind::kRecord);
  v.fields_ = std::make_unique<FieldList>(std::move(fields));
  return v;
}

const FieldList& Value::fields() const {
  static const FieldList kEmpty;
  return fields_ ? *fields_ : kEmpty;
}

Value Value::Variant(std::string name, std::optional<Value> payload) {
  Value v(Kind::kVariant);
  v.text_ = std::move(name);
  if (payload) v.payload_ = std::make_unique<Value>(std::move(*payload));
  return v;
}

Value Value::Some(Value inner) {
  Value v(Kind::kOption);
  v.payload_ = std::make_unique<Value>(std::move(inner));
  return v;
}

Value Value::Ok(std::optional<Value> payload) {
  Value v(Kind::kResult);
  v.scalar_ = 1;
  if (payload) v.payload_ = std::make_unique<Value>(std::move(*payload));
  return v;
}

Value Value::Err(std::optional<Value> payload) {
  Value v(Kind::kResult);
  v.scalar_ = 0;
  if (payload) v.payload_ = std::make_unique<Value>(std::move(*payload));
  return v;
}

Value Value::Flags(std::vector<std::string> names) {
  Value v(Kind::kFlags);
  v.flags_ = std::move(names);
  return v;
}

Value::Value(const Value& o)
    : kind_(o.kind_), scalar_(o.scalar_), text_(o.text_), bytes_(o.bytes_), items_(o.items_),
      fields_(o.fields_ ? std::make_unique<FieldList>(*o.fields_) : nullptr),
      payload_(o.payload_ ? std::make_unique<Value>(*o.payload_) : nullptr), flags_(o.flags_) {}

Value& Value::operator=(const Value& o) {
  if (this != &o) *this = Value(o);
  return *this;
}

Value::~Value() = default;

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_ || scalar_ != o.scalar_ || text_ != o.text_ || bytes_ != o.bytes_ ||
      items_ != o.items_ || flags_ != o.flags_ || fields() != o.fields())
    return false;
  if (has_payload() != o.has_payload()) return false;
  return !has_payload() || *payload_ == *o.payload_;
}

static void Render(const Value& v, std::ostream& out) {
  using K = Value::Kind;
  auto list = [&](const char* open, const ValueList& items, const char* close) {
    out << open;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out << ", ";
      Render(items[i], out);
    }
    out << close;
  };
  switch (v.kind()) {
    case K::kBool: out << (v.as_bool() ? "true" : "false"); break;
    case K::kS8: case K::kS16: case K::kS32: case K::kS64: out << v.as_signed(); break;
    case K::kU8: case K::kU16: case K::kU32: case K::kU64: out << v.as_unsigned(); break;
    case K::kF32: out << v.as_f32(); break;
    case K::kF64: out << v.as_f64(); break;
    case K::kChar: out << "char(U+" << std::hex << v.as_unsigned() << std::dec << ")"; break;
    case K::kString: out << '"' << v.as_string() << '"'; break;
    case K::kBytes:
      if (IsValidUtf8(v.as_bytes())) out << "b\"" << ToString(v.as_bytes()) << '"';
      else out << "0x" << ToHex(v.as_bytes());
      break;
    case K::kList: list("[", v.items(), "]"); break;
    case K::kTuple: list("(", v.items(), ")"); break;
    case K::kRecord: {
      out << "{";
      const auto& f = v.fields();
      for (size_t i = 0; i < f.size(); ++i) {
        if (i) out << ", ";
        out << f[i].name << ": ";
        Render(f[i].value, out);
      }
      out << "}";
      break;
    }
    case K::kVariant:
    case K::kEnum:
      out << v.case_name();
      if (v.has_payload()) { out << "("; Render(v.payload(), out); out << ")"; }
      break;
    case K::kOption:
      if (!v.has_payload()) { out << "none"; break; }
      out << "some(";
      Render(v.payload(), out);
      out << ")";
      break;
    case K::kResult:
      out << (v.is_ok() ? "ok" : "err");
      if (v.has_payload()) { out << "("; Render(v.payload(), out); out << ")"; }
      break;
    case K::kFlags: {
      out << "flags(";
      for (size_t i = 0; i < v.flag_names().size(); ++i) out << (i ? ", " : "") << v.flag_names()[i];
      out << ")";
      break;
    }
  }
}

std::string ToDebugString(const Value& v) {
  std::ostringstream out;
  Render(v, out);
  return out.str();
}

}  // namespace theater
