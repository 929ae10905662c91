#include "runtime/value_json.h"

#include <cmath>

#include "chain/event_data.h"
#include "chain/state_ref.h"

namespace theater {

ordered_json BytesToJson(const Bytes& b) { return ordered_json::binary(b); }

ordered_json OptionalBytesToJson(const std::optional<Bytes>& b) {
  return b ? BytesToJson(*b) : ordered_json(nullptr);
}

// A char value's code point as UTF-8.
static std::string CharUtf8(const Value& v) {
  uint32_t c = static_cast<uint32_t>(v.as_unsigned());
  std::string s;
  if (c < 0x80) s += static_cast<char>(c);
  else if (c < 0x800) { s += static_cast<char>(0xc0 | c >> 6); s += static_cast<char>(0x80 | (c & 0x3f)); }
  else if (c < 0x10000) { s += static_cast<char>(0xe0 | c >> 12); s += static_cast<char>(0x80 | (c >> 6 & 0x3f)); s += static_cast<char>(0x80 | (c & 0x3f)); }
  else { s += static_cast<char>(0xf0 | c >> 18); s += static_cast<char>(0x80 | (c >> 12 & 0x3f)); s += static_cast<char>(0x80 | (c >> 6 & 0x3f)); s += static_cast<char>(0x80 | (c & 0x3f)); }
  return s;
}

static ordered_json FloatToJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  return d;
}

ordered_json ValuesToJson(const ValueList& values) {
  ordered_json out = ordered_json::array();
  for (const Value& v : values) out.push_back(ValueToJson(v));
  return out;
}

ordered_json ValueToJson(const Value& v) {
  using K = Value::Kind;
  auto payload = [&]() { return v.has_payload() ? ValueToJson(v.payload()) : ordered_json(nullptr); };
  switch (v.kind()) {
    case K::kBool: return v.as_bool();
    case K::kS8: case K::kS16: case K::kS32: case K::kS64: return v.as_signed();
    case K::kU8: case K::kU16: case K::kU32: case K::kU64: return v.as_unsigned();
    case K::kF32: return FloatToJson(v.as_f32());
    case K::kF64: return FloatToJson(v.as_f64());
    case K::kChar: return ordered_json{{"char", CharUtf8(v)}};
    case K::kString: return v.as_string();
    case K::kEnum: return v.case_name();
    case K::kBytes: return BytesToJson(v.as_bytes());
    case K::kList: case K::kTuple: return ValuesToJson(v.items());
    case K::kRecord: {
      ordered_json out = ordered_json::object();
      for (const auto& f : v.fields()) out[f.name] = ValueToJson(f.value);
      return out;
    }
    case K::kOption: return v.has_payload() ? ordered_json{{"some", payload()}} : ordered_json(nullptr);
    case K::kResult: return ordered_json{{v.is_ok() ? "ok" : "err", payload()}};
    case K::kVariant: return ordered_json{{"case", v.case_name()}, {"value", payload()}};
    case K::kFlags: return ordered_json{{"flags", v.flag_names()}};
  }
  return nullptr;
}

void WriteOptionalBytes(CborWriter& w, const std::optional<Bytes>& b) {
  if (b) w.ByteString(*b);
  else w.Null();
}

void WriteValues(CborWriter& w, const ValueList& values) {
  w.Array(values.size());
  for (const Value& v : values) WriteValue(w, v);
}

void WriteValue(CborWriter& w, const Value& v) {
  using K = Value::Kind;
  auto payload = [&] {
    if (v.has_payload()) WriteValue(w, v.payload());
    else w.Null();
  };
  auto number = [&](double d) {
    if (std::isnan(d)) w.Text("NaN");
    else if (std::isinf(d)) w.Text(d > 0 ? "inf" : "-inf");
    else w.Double(d);
  };
  switch (v.kind()) {
    case K::kBool: w.Bool(v.as_bool()); return;
    case K::kS8: case K::kS16: case K::kS32: case K::kS64: w.Int(v.as_signed()); return;
    case K::kU8: case K::kU16: case K::kU32: case K::kU64: w.UInt(v.as_unsigned()); return;
    case K::kF32: number(v.as_f32()); return;
    case K::kF64: number(v.as_f64()); return;
    case K::kChar:
      w.Map(1);
      w.Key("char");
      w.Text(CharUtf8(v));
      return;
    case K::kString: w.Text(v.as_string()); return;
    case K::kEnum: w.Text(v.case_name()); return;
    case K::kBytes: w.ByteString(v.as_bytes()); return;
    case K::kList: case K::kTuple: WriteValues(w, v.items()); return;
    case K::kRecord:
      w.Map(v.fields().size());
      for (const auto& f : v.fields()) {
        w.Key(f.name);
        WriteValue(w, f.value);
      }
      return;
    case K::kOption:
      if (!v.has_payload()) {
        w.Null();
        return;
      }
      w.Map(1);
      w.Key("some");
      payload();
      return;
    case K::kResult:
      w.Map(1);
      w.Key(v.is_ok() ? "ok" : "err");
      payload();
      return;
    case K::kVariant:
      w.Map(2);
      w.Key("case");
      w.Text(v.case_name());
      w.Key("value");
      payload();
      return;
    case K::kFlags:
      w.Map(1);
      w.Key("flags");
      w.Array(v.flag_names().size());
      for (const auto& name : v.flag_names()) w.Text(name);
      return;
  }
  w.Null();
}

namespace {

bool IsLargeBytes(const ordered_json& j) {
  return j.is_binary() && !j.get_binary().has_subtype() && GoesByRef(j.get_binary().size());
}

}  // namespace

bool HasLargeBytes(const ordered_json& j) {
  if (IsLargeBytes(j)) return true;
  if (j.is_array() || j.is_object())
    for (const auto& item : j)
      if (HasLargeBytes(item)) return true;
  return false;
}

ordered_json WithLargeBytesByRef(const ordered_json& j, std::vector<BytesByRef>* refs) {
  if (IsLargeBytes(j)) {
    const auto& b = j.get_binary();
    Hash digest = Sha256(std::span<const uint8_t>(b.data(), b.size()));
    auto ref = EncodeBytesRef(digest, b.size());
    if (refs) refs->push_back(BytesByRef{digest, std::span<const uint8_t>(b.data(), b.size())});
    return ordered_json::binary(std::vector<uint8_t>(ref.begin(), ref.end()), kBytesRefTag);
  }
  if (j.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& item : j) out.push_back(WithLargeBytesByRef(item, refs));
    return out;
  }
  if (j.is_object()) {
    ordered_json out = ordered_json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = WithLargeBytesByRef(it.value(), refs);
    return out;
  }
  return j;
}

ordered_json FailureToJson(const Failure& f) {
  return {{"function", f.function}, {"kind", FailureKindName(f.kind)}, {"message", f.message},
          {"backtrace", f.backtrace}};
}

ordered_json ReadableJson(const ordered_json& j) {
  if (auto ref = BytesRefIn(j)) return StateRefToJson(*ref);  // bytes by reference: {"sha256", "size"}
  if (j.is_binary()) {
    const auto& b = j.get_binary();
    Bytes bytes(b.begin(), b.end());
    if (IsValidUtf8(bytes)) return ordered_json{{"utf8", ToString(bytes)}};
    return ordered_json{{"hex", ToHex(bytes)}};
  }
  if (j.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& item : j) out.push_back(ReadableJson(item));
    return out;
  }
  if (j.is_object()) {
    ordered_json out = ordered_json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = ReadableJson(it.value());
    return out;
  }
  return j;
}

}  // namespace theater
