#include "engine/slots.h"

namespace theater::wt {
namespace {

using K = SlotType::Kind;

// A recursive-descent reader of the type grammar RenderType writes.
class TypeReader {
 public:
  explicit TypeReader(std::string_view text) : text_(text) {}

  bool Eat(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool AtEnd() const { return pos_ == text_.size(); }

  std::optional<SlotType> Type() {
    static constexpr std::pair<std::string_view, Value::Kind> kScalars[] = {
        {"bool", Value::Kind::kBool}, {"u8", Value::Kind::kU8},   {"u16", Value::Kind::kU16},
        {"u32", Value::Kind::kU32},   {"u64", Value::Kind::kU64}, {"s8", Value::Kind::kS8},
        {"s16", Value::Kind::kS16},   {"s32", Value::Kind::kS32}, {"s64", Value::Kind::kS64},
    };
    SlotType t;
    if (Eat("string")) {
      t.kind = K::kString;
      return t;
    }
    if (Eat("list<u8>")) {
      t.kind = K::kBytes;
      return t;
    }
    if (Eat("option<")) {
      auto inner = Type();
      if (!inner || !IsLeaf(*inner) || !Eat(">")) return std::nullopt;
      t.kind = K::kOption;
      t.items.push_back(std::move(*inner));
      return t;
    }
    if (Eat("result<")) {
      t.kind = K::kResult;
      if (!Eat("_")) {
        auto ok = Type();
        if (!ok) return std::nullopt;
        t.has_ok = true;
        t.items.push_back(std::move(*ok));
      }
      if (!Eat(", string>")) return std::nullopt;  // the shapes' errors are strings
      return t;
    }
    if (Eat("tuple<")) {
      t.kind = K::kTuple;
      do {
        auto item = Type();
        if (!item) return std::nullopt;
        t.items.push_back(std::move(*item));
      } while (Eat(", "));
      if (!Eat(">")) return std::nullopt;
      return t;
    }
    for (const auto& [name, kind] : kScalars) {
      // "u8" must not match the start of "u8x" (no such type, but be exact).
      if (text_.substr(pos_, name.size()) == name &&
          (pos_ + name.size() == text_.size() || std::string_view(",>)").find(text_[pos_ + name.size()]) !=
                                                     std::string_view::npos)) {
        pos_ += name.size();
        t.kind = K::kScalar;
        t.scalar = kind;
        return t;
      }
    }
    return std::nullopt;
  }

 private:
  static bool IsLeaf(const SlotType& t) { return t.kind == K::kScalar || t.kind == K::kString || t.kind == K::kBytes; }

  std::string_view text_;
  size_t pos_ = 0;
};

theater_slot_t Slot(uint64_t scalar = 0) { return theater_slot_t{1, scalar, nullptr, 0}; }

theater_slot_t DataSlot(const void* data, size_t len) {
  return theater_slot_t{1, 0, static_cast<const uint8_t*>(data), len};
}

bool IsSigned(Value::Kind k) {
  return k == Value::Kind::kS8 || k == Value::Kind::kS16 || k == Value::Kind::kS32 || k == Value::Kind::kS64;
}

Value MakeScalar(Value::Kind kind, uint64_t bits) {
  switch (kind) {
    case Value::Kind::kBool: return Value(bits != 0);
    case Value::Kind::kU8: return Value::U8(static_cast<uint8_t>(bits));
    case Value::Kind::kU16: return Value::U16(static_cast<uint16_t>(bits));
    case Value::Kind::kU32: return Value::U32(static_cast<uint32_t>(bits));
    case Value::Kind::kS8: return Value::S8(static_cast<int8_t>(bits));
    case Value::Kind::kS16: return Value::S16(static_cast<int16_t>(bits));
    case Value::Kind::kS32: return Value::S32(static_cast<int32_t>(bits));
    case Value::Kind::kS64: return Value::S64(static_cast<int64_t>(bits));
    default: return Value::U64(bits);
  }
}

}  // namespace

std::optional<SlotSignature> ParseSlotSignature(std::string_view signature) {
  TypeReader r(signature);
  SlotSignature sig;
  if (!r.Eat("func(")) return std::nullopt;
  if (!r.Eat(")")) {
    do {
      auto t = r.Type();
      if (!t) return std::nullopt;
      sig.params.push_back(std::move(*t));
    } while (r.Eat(", "));
    if (!r.Eat(")")) return std::nullopt;
  }
  if (r.Eat(" -> ")) {
    sig.result = r.Type();
    if (!sig.result) return std::nullopt;
  }
  if (!r.AtEnd()) return std::nullopt;
  return sig;
}

size_t SlotCount(const SlotType& type) {
  switch (type.kind) {
    case K::kResult: return 2 + (type.has_ok ? SlotCount(type.items[0]) : 0);
    case K::kTuple: {
      size_t n = 0;
      for (const SlotType& item : type.items) n += SlotCount(item);
      return n;
    }
    default: return 1;
  }
}

Status ToSlots(const Value& v, const SlotType& type, std::vector<theater_slot_t>& out) {
  auto mismatch = [&] { return Status::Error("value " + ToDebugString(v) + " does not fit its type"); };
  switch (type.kind) {
    case K::kScalar:
      if (v.kind() != type.scalar) return mismatch();
      out.push_back(Slot(v.is(Value::Kind::kBool) ? uint64_t{v.as_bool()}
                         : IsSigned(type.scalar)  ? static_cast<uint64_t>(v.as_signed())
                                                  : v.as_unsigned()));
      return Status::Ok();
    case K::kString:
      if (!v.is(Value::Kind::kString)) return mismatch();
      // wasmtime would abort the process on invalid text; the shim checks it too.
      if (!IsValidUtf8(v.as_string())) return Status::Error("string is not valid UTF-8");
      out.push_back(DataSlot(v.as_string().data(), v.as_string().size()));
      return Status::Ok();
    case K::kBytes:
      if (!v.is(Value::Kind::kBytes)) return mismatch();
      out.push_back(DataSlot(v.as_bytes().data(), v.as_bytes().size()));
      return Status::Ok();
    case K::kOption:
      if (!v.is(Value::Kind::kOption)) return mismatch();
      if (!v.has_payload()) {
        theater_slot_t none = Slot();
        none.present = 0;
        out.push_back(none);
        return Status::Ok();
      }
      return ToSlots(v.payload(), type.items[0], out);
    case K::kResult: {
      if (!v.is(Value::Kind::kResult)) return mismatch();
      out.push_back(Slot(v.is_ok() ? 1 : 0));
      size_t ok_slots = type.has_ok ? SlotCount(type.items[0]) : 0;
      if (v.is_ok()) {
        if (type.has_ok) {
          if (!v.has_payload()) return mismatch();
          if (Status s = ToSlots(v.payload(), type.items[0], out); !s.ok()) return s;
        }
        out.push_back(Slot());
      } else {
        out.insert(out.end(), ok_slots, Slot());
        if (!v.has_payload() || !v.payload().is(Value::Kind::kString)) return mismatch();
        const std::string& e = v.payload().as_string();
        if (!IsValidUtf8(e)) return Status::Error("string is not valid UTF-8");
        out.push_back(DataSlot(e.data(), e.size()));
      }
      return Status::Ok();
    }
    case K::kTuple:
      if (!v.is(Value::Kind::kTuple) || v.items().size() != type.items.size()) return mismatch();
      for (size_t i = 0; i < type.items.size(); ++i)
        if (Status s = ToSlots(v.items()[i], type.items[i], out); !s.ok()) return s;
      return Status::Ok();
  }
  return mismatch();
}

Result<Value> FromSlots(std::span<const theater_slot_t> slots, size_t& i, const SlotType& type) {
  if (i >= slots.size()) return Status::Error("fewer slots than the type needs");
  const theater_slot_t& s = slots[i];
  switch (type.kind) {
    case K::kScalar:
      ++i;
      return MakeScalar(type.scalar, s.scalar);
    case K::kString:
      ++i;
      return Value::String(std::string(reinterpret_cast<const char*>(s.data), s.len));
    case K::kBytes:
      ++i;
      return Value::BytesValue(Bytes(s.data, s.data + s.len));
    case K::kOption:
      if (!s.present) {
        ++i;
        return Value::None();
      } else {
        auto inner = FromSlots(slots, i, type.items[0]);
        if (!inner.ok()) return inner;
        return Value::Some(std::move(*inner));
      }
    case K::kResult: {
      ++i;
      if (s.scalar != 0) {
        std::optional<Value> payload;
        if (type.has_ok) {
          auto ok = FromSlots(slots, i, type.items[0]);
          if (!ok.ok()) return ok;
          payload = std::move(*ok);
        }
        ++i;  // the empty error slot
        return Value::Ok(std::move(payload));
      }
      i += type.has_ok ? SlotCount(type.items[0]) : 0;
      if (i >= slots.size()) return Status::Error("fewer slots than the type needs");
      const theater_slot_t& e = slots[i++];
      return Value::Err(Value::String(std::string(reinterpret_cast<const char*>(e.data), e.len)));
    }
    case K::kTuple: {
      ValueList items;
      items.reserve(type.items.size());
      for (const SlotType& t : type.items) {
        auto item = FromSlots(slots, i, t);
        if (!item.ok()) return item;
        items.push_back(std::move(*item));
      }
      return Value::Tuple(std::move(items));
    }
  }
  return Status::Error("unknown slot type");
}

}  // namespace theater::wt
