#include "runtime/value_type.h"

#include "chain/event_data.h"

#include <cmath>
#include <map>

namespace theater {
namespace {

using K = ValueType::Kind;

const std::map<std::string_view, K>& Primitives() {
  static const std::map<std::string_view, K> kPrimitives = {
      {"bool", K::kBool}, {"s8", K::kS8},   {"u8", K::kU8},   {"s16", K::kS16}, {"u16", K::kU16},
      {"s32", K::kS32},   {"u32", K::kU32}, {"s64", K::kS64}, {"u64", K::kU64}, {"f32", K::kF32},
      {"f64", K::kF64},   {"char", K::kChar}, {"string", K::kString}};
  return kPrimitives;
}

// A recursive-descent reader of the type text.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<ValueType> Type() {
    std::string word = Word();
    if (word.empty()) return Fail("a type");
    if (auto p = Primitives().find(word); p != Primitives().end()) return ValueType{p->second, {}, {}};
    if (word == "_") return ValueType{};
    if (word == "list" || word == "option") {
      auto inner = Angled(1);
      if (!inner.ok()) return inner.status();
      return ValueType{word == "list" ? K::kList : K::kOption, std::move(*inner), {}};
    }
    if (word == "tuple") {
      auto items = Angled(0);
      if (!items.ok()) return items.status();
      return ValueType{K::kTuple, std::move(*items), {}};
    }
    if (word == "result") {
      ValueType r{K::kResult, {ValueType{}, ValueType{}}, {}};
      if (!Peek('<')) return r;  // result without payloads
      auto items = Angled(0);
      if (!items.ok()) return items.status();
      if (items->empty() || items->size() > 2) return Fail("one or two result types");
      r.items[0] = (*items)[0];
      if (items->size() == 2) r.items[1] = (*items)[1];
      return r;
    }
    if (word == "record" || word == "variant" || word == "enum" || word == "flags") return Braced(word);
    return Fail("a known type, not `" + word + "`");
  }

  Result<FuncType> Func() {
    if (Word() != "func" || !Eat('(')) return Fail("func(");
    FuncType f;
    if (!Eat(')')) {
      do {
        auto t = Type();
        if (!t.ok()) return t.status();
        f.params.push_back(std::move(*t));
      } while (Eat(','));
      if (!Eat(')')) return Fail(")");
    }
    Skip();
    if (text_.substr(pos_, 2) == "->") {
      pos_ += 2;
      auto r = Type();
      if (!r.ok()) return r.status();
      f.result = std::move(*r);
    }
    return f;
  }

  bool AtEnd() {
    Skip();
    return pos_ == text_.size();
  }

 private:
  void Skip() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool Peek(char c) {
    Skip();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  std::string Word() {
    Skip();
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' ||
                                   text_[pos_] == '_'))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  Status Fail(const std::string& expected) {
    return Status::Error("type text `" + std::string(text_) + "`: expected " + expected + " at " + std::to_string(pos_));
  }
  // <T, U, ...>; `count` 0 = any number.
  Result<std::vector<ValueType>> Angled(size_t count) {
    if (!Eat('<')) return Fail("<");
    std::vector<ValueType> items;
    do {
      auto t = Type();
      if (!t.ok()) return t.status();
      items.push_back(std::move(*t));
    } while (Eat(','));
    if (!Eat('>')) return Fail(">");
    if (count && items.size() != count) return Fail(std::to_string(count) + " type(s)");
    return items;
  }
  // record{a: T, ...}, variant{a(T), b}, enum{a, b}, flags{a, b}
  Result<ValueType> Braced(const std::string& word) {
    ValueType t{word == "record" ? K::kRecord : word == "variant" ? K::kVariant : word == "enum" ? K::kEnum : K::kFlags, {}, {}};
    if (!Eat('{')) return Fail("{");
    if (Eat('}')) return t;
    do {
      std::string name = Word();
      if (name.empty()) return Fail("a name");
      t.names.push_back(name);
      if (t.kind == K::kRecord) {
        if (!Eat(':')) return Fail(":");
        auto field = Type();
        if (!field.ok()) return field.status();
        t.items.push_back(std::move(*field));
      } else if (t.kind == K::kVariant) {
        ValueType payload;
        if (Eat('(')) {
          auto p = Type();
          if (!p.ok()) return p.status();
          payload = std::move(*p);
          if (!Eat(')')) return Fail(")");
        }
        t.items.push_back(std::move(payload));
      }
    } while (Eat(','));
    if (!Eat('}')) return Fail("}");
    return t;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Status Mismatch(const nlohmann::json& j, const char* expected) {
  std::string shown = j.is_binary() ? "bytes" : j.dump();
  if (shown.size() > 60) shown = shown.substr(0, 60) + "...";
  return Status::Error(std::string("expected ") + expected + ", found " + shown);
}

double FloatOf(const nlohmann::json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::nan("");
    return s == "-inf" ? -INFINITY : INFINITY;
  }
  return j.get<double>();
}

// Decodes one UTF-8 code point (the chain form of a char).
uint32_t CodePoint(const std::string& s) {
  if (s.empty()) return 0;
  auto b = reinterpret_cast<const unsigned char*>(s.data());
  if (b[0] < 0x80) return b[0];
  if ((b[0] & 0xe0) == 0xc0 && s.size() >= 2) return (b[0] & 0x1f) << 6 | (b[1] & 0x3f);
  if ((b[0] & 0xf0) == 0xe0 && s.size() >= 3) return (b[0] & 0x0f) << 12 | (b[1] & 0x3f) << 6 | (b[2] & 0x3f);
  if (s.size() >= 4) return (b[0] & 0x07) << 18 | (b[1] & 0x3f) << 12 | (b[2] & 0x3f) << 6 | (b[3] & 0x3f);
  return 0;
}

}  // namespace

Result<ValueType> ParseValueType(std::string_view text) {
  Parser p(text);
  auto t = p.Type();
  if (t.ok() && !p.AtEnd()) return Status::Error("type text `" + std::string(text) + "` has trailing characters");
  return t;
}

Result<FuncType> ParseFuncType(std::string_view text) {
  Parser p(text);
  auto f = p.Func();
  if (f.ok() && !p.AtEnd()) return Status::Error("type text `" + std::string(text) + "` has trailing characters");
  return f;
}

Result<Value> JsonToValue(const nlohmann::json& j, const ValueType& t, const SnapshotSource* snapshots) {
  auto items = [&](const std::vector<ValueType>& types, bool tuple) -> Result<Value> {
    if (!j.is_array()) return Mismatch(j, tuple ? "an array (tuple)" : "an array (list)");
    ValueList values;
    for (size_t i = 0; i < j.size(); ++i) {
      auto v = JsonToValue(j[i], tuple ? (i < types.size() ? types[i] : ValueType{}) : types.at(0), snapshots);
      if (!v.ok()) return v.status();
      values.push_back(std::move(*v));
    }
    if (tuple && values.size() != types.size()) return Mismatch(j, "a tuple of the right length");
    return tuple ? Value::Tuple(std::move(values)) : Value::List(std::move(values));
  };
  auto payload = [&](const nlohmann::json& p, const ValueType& type) -> Result<std::optional<Value>> {
    if (type.kind == K::kNone) return std::optional<Value>();
    auto v = JsonToValue(p, type, snapshots);
    if (!v.ok()) return v.status();
    return std::optional<Value>(std::move(*v));
  };
  switch (t.kind) {
    case K::kNone: return Mismatch(j, "no value");
    case K::kBool:
      if (!j.is_boolean()) return Mismatch(j, "a bool");
      return Value(j.get<bool>());
    case K::kS8: case K::kS16: case K::kS32: case K::kS64: {
      if (!j.is_number_integer()) return Mismatch(j, "an integer");
      int64_t v = j.get<int64_t>();
      return t.kind == K::kS8 ? Value::S8(static_cast<int8_t>(v)) : t.kind == K::kS16 ? Value::S16(static_cast<int16_t>(v))
             : t.kind == K::kS32 ? Value::S32(static_cast<int32_t>(v)) : Value::S64(v);
    }
    case K::kU8: case K::kU16: case K::kU32: case K::kU64: {
      if (!j.is_number_integer()) return Mismatch(j, "an integer");
      uint64_t v = j.get<uint64_t>();
      return t.kind == K::kU8 ? Value::U8(static_cast<uint8_t>(v)) : t.kind == K::kU16 ? Value::U16(static_cast<uint16_t>(v))
             : t.kind == K::kU32 ? Value::U32(static_cast<uint32_t>(v)) : Value::U64(v);
    }
    case K::kF32: case K::kF64:
      if (!j.is_number() && !j.is_string()) return Mismatch(j, "a number");
      return t.kind == K::kF32 ? Value::F32(static_cast<float>(FloatOf(j))) : Value::F64(FloatOf(j));
    case K::kChar:
      if (!j.is_object() || !j.contains("char")) return Mismatch(j, "{\"char\": ...}");
      return Value::Char(CodePoint(j["char"].get<std::string>()));
    case K::kString:
      if (!j.is_string()) return Mismatch(j, "a string");
      return Value::String(j.get<std::string>());
    case K::kEnum:
      if (!j.is_string()) return Mismatch(j, "an enum case");
      return Value::Enum(j.get<std::string>());
    case K::kList:
      if (t.items.at(0).kind == K::kU8) {
        if (!j.is_binary()) return Mismatch(j, "bytes");
        if (auto ref = BytesRefIn(j)) {  // recorded by reference: the bytes are a snapshot
          if (!snapshots) return Status::Error("bytes recorded by reference (" + ToHex(ref->sha256) + "), and no snapshots to read them from");
          auto bytes = snapshots->Read(*ref);
          if (!bytes.ok()) return bytes.status();
          return Value::BytesValue(std::move(*bytes));
        }
        return Value::BytesValue(Bytes(j.get_binary().begin(), j.get_binary().end()));
      }
      return items(t.items, false);
    case K::kTuple: return items(t.items, true);
    case K::kRecord: {
      if (!j.is_object()) return Mismatch(j, "an object (record)");
      FieldList fields;
      for (size_t i = 0; i < t.names.size(); ++i) {
        if (!j.contains(t.names[i])) return Mismatch(j, ("a record with `" + t.names[i] + "`").c_str());
        auto v = JsonToValue(j[t.names[i]], t.items[i], snapshots);
        if (!v.ok()) return v.status();
        fields.push_back({t.names[i], std::move(*v)});
      }
      return Value::Record(std::move(fields));
    }
    case K::kVariant: {
      if (!j.is_object() || !j.contains("case")) return Mismatch(j, "{\"case\": ...}");
      std::string name = j["case"].get<std::string>();
      auto at = std::find(t.names.begin(), t.names.end(), name);
      if (at == t.names.end()) return Mismatch(j, "a case of the variant");
      auto p = payload(j.value("value", nlohmann::json()), t.items[at - t.names.begin()]);
      if (!p.ok()) return p.status();
      return Value::Variant(name, std::move(*p));
    }
    case K::kOption: {
      if (j.is_null()) return Value::None();
      if (!j.is_object() || !j.contains("some")) return Mismatch(j, "null or {\"some\": ...}");
      auto v = JsonToValue(j["some"], t.items.at(0), snapshots);
      if (!v.ok()) return v.status();
      return Value::Some(std::move(*v));
    }
    case K::kResult: {
      bool ok = j.is_object() && j.contains("ok");
      if (!ok && !(j.is_object() && j.contains("err"))) return Mismatch(j, "{\"ok\": ...} or {\"err\": ...}");
      auto p = payload(ok ? j["ok"] : j["err"], t.items.at(ok ? 0 : 1));
      if (!p.ok()) return p.status();
      return ok ? Value::Ok(std::move(*p)) : Value::Err(std::move(*p));
    }
    case K::kFlags:
      if (!j.is_object() || !j.contains("flags")) return Mismatch(j, "{\"flags\": [...]}");
      return Value::Flags(j["flags"].get<std::vector<std::string>>());
  }
  return Status::Error("unknown type");
}

}  // namespace theater
