#include "engine/value_convert.h"

#include <cstring>

#include "engine/wasmtime_handles.h"

namespace theater::wt {
namespace {

void SetName(wasm_name_t& out, const std::string& s) { wasm_name_new(&out, s.size(), s.data()); }

std::string NameOf(const wasm_name_t& n) { return std::string(n.data, n.size); }

// Moves a stack value into a wasmtime heap box (for option/result/variant payloads).
wasmtime_component_val_t* Box(wasmtime_component_val_t& v) { return wasmtime_component_val_new(&v); }

}  // namespace

Status ToWasmtime(const Value& v, wasmtime_component_val_t& out) {
  using K = Value::Kind;
  out.kind = WASMTIME_COMPONENT_BOOL;
  out.of.boolean = false;
  auto items = [&](const ValueList& in, auto* vec, auto new_uninit, uint8_t kind) -> Status {
    new_uninit(vec, in.size());
    out.kind = kind;
    for (size_t i = 0; i < in.size(); ++i) {
      Status s = ToWasmtime(in[i], vec->data[i]);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  };
  switch (v.kind()) {
    case K::kBool: out.kind = WASMTIME_COMPONENT_BOOL; out.of.boolean = v.as_bool(); break;
    case K::kS8: out.kind = WASMTIME_COMPONENT_S8; out.of.s8 = static_cast<int8_t>(v.as_signed()); break;
    case K::kU8: out.kind = WASMTIME_COMPONENT_U8; out.of.u8 = static_cast<uint8_t>(v.as_unsigned()); break;
    case K::kS16: out.kind = WASMTIME_COMPONENT_S16; out.of.s16 = static_cast<int16_t>(v.as_signed()); break;
    case K::kU16: out.kind = WASMTIME_COMPONENT_U16; out.of.u16 = static_cast<uint16_t>(v.as_unsigned()); break;
    case K::kS32: out.kind = WASMTIME_COMPONENT_S32; out.of.s32 = static_cast<int32_t>(v.as_signed()); break;
    case K::kU32: out.kind = WASMTIME_COMPONENT_U32; out.of.u32 = static_cast<uint32_t>(v.as_unsigned()); break;
    case K::kS64: out.kind = WASMTIME_COMPONENT_S64; out.of.s64 = v.as_signed(); break;
    case K::kU64: out.kind = WASMTIME_COMPONENT_U64; out.of.u64 = v.as_unsigned(); break;
    case K::kF32: out.kind = WASMTIME_COMPONENT_F32; out.of.f32 = v.as_f32(); break;
    case K::kF64: out.kind = WASMTIME_COMPONENT_F64; out.of.f64 = v.as_f64(); break;
    case K::kChar: {
      uint32_t c = static_cast<uint32_t>(v.as_unsigned());
      if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return Status::Error("invalid char value U+" + std::to_string(c));
      out.kind = WASMTIME_COMPONENT_CHAR;
      out.of.character = c;
      break;
    }
    case K::kString:
      if (!IsValidUtf8(v.as_string())) return Status::Error("string is not valid UTF-8");
      out.kind = WASMTIME_COMPONENT_STRING;
      SetName(out.of.string, v.as_string());
      break;
    case K::kEnum:
      out.kind = WASMTIME_COMPONENT_ENUM;
      SetName(out.of.enumeration, v.case_name());
      break;
    case K::kBytes: {
      const Bytes& b = v.as_bytes();
      out.kind = WASMTIME_COMPONENT_LIST;
      wasmtime_component_vallist_new_uninit(&out.of.list, b.size());
      for (size_t i = 0; i < b.size(); ++i) {
        out.of.list.data[i].kind = WASMTIME_COMPONENT_U8;
        out.of.list.data[i].of.u8 = b[i];
      }
      break;
    }
    case K::kList:
      return items(v.items(), &out.of.list, wasmtime_component_vallist_new_uninit, WASMTIME_COMPONENT_LIST);
    case K::kTuple:
      return items(v.items(), &out.of.tuple, wasmtime_component_valtuple_new_uninit, WASMTIME_COMPONENT_TUPLE);
    case K::kRecord: {
      const FieldList& fields = v.fields();
      out.kind = WASMTIME_COMPONENT_RECORD;
      wasmtime_component_valrecord_new_uninit(&out.of.record, fields.size());
      for (size_t i = 0; i < fields.size(); ++i) {
        SetName(out.of.record.data[i].name, fields[i].name);
        Status s = ToWasmtime(fields[i].value, out.of.record.data[i].val);
        if (!s.ok()) return s;
      }
      break;
    }
    case K::kVariant: {
      out.kind = WASMTIME_COMPONENT_VARIANT;
      SetName(out.of.variant.discriminant, v.case_name());
      out.of.variant.val = nullptr;
      if (v.has_payload()) {
        wasmtime_component_val_t inner;
        Status s = ToWasmtime(v.payload(), inner);
        out.of.variant.val = Box(inner);
        if (!s.ok()) return s;
      }
      break;
    }
    case K::kOption: {
      out.kind = WASMTIME_COMPONENT_OPTION;
      out.of.option = nullptr;
      if (v.has_payload()) {
        wasmtime_component_val_t inner;
        Status s = ToWasmtime(v.payload(), inner);
        out.of.option = Box(inner);
        if (!s.ok()) return s;
      }
      break;
    }
    case K::kResult: {
      out.kind = WASMTIME_COMPONENT_RESULT;
      out.of.result.is_ok = v.is_ok();
      out.of.result.val = nullptr;
      if (v.has_payload()) {
        wasmtime_component_val_t inner;
        Status s = ToWasmtime(v.payload(), inner);
        out.of.result.val = Box(inner);
        if (!s.ok()) return s;
      }
      break;
    }
    case K::kFlags: {
      const auto& names = v.flag_names();
      out.kind = WASMTIME_COMPONENT_FLAGS;
      wasmtime_component_valflags_new_uninit(&out.of.flags, names.size());
      for (size_t i = 0; i < names.size(); ++i) SetName(out.of.flags.data[i], names[i]);
      break;
    }
  }
  return Status::Ok();
}

Value FromWasmtime(const wasmtime_component_val_t& v, const wasmtime_component_valtype_t& ty) {
  switch (v.kind) {
    case WASMTIME_COMPONENT_BOOL: return Value(v.of.boolean);
    case WASMTIME_COMPONENT_S8: return Value::S8(v.of.s8);
    case WASMTIME_COMPONENT_U8: return Value::U8(v.of.u8);
    case WASMTIME_COMPONENT_S16: return Value::S16(v.of.s16);
    case WASMTIME_COMPONENT_U16: return Value::U16(v.of.u16);
    case WASMTIME_COMPONENT_S32: return Value::S32(v.of.s32);
    case WASMTIME_COMPONENT_U32: return Value::U32(v.of.u32);
    case WASMTIME_COMPONENT_S64: return Value::S64(v.of.s64);
    case WASMTIME_COMPONENT_U64: return Value::U64(v.of.u64);
    case WASMTIME_COMPONENT_F32: return Value::F32(v.of.f32);
    case WASMTIME_COMPONENT_F64: return Value::F64(v.of.f64);
    case WASMTIME_COMPONENT_CHAR: return Value::Char(v.of.character);
    case WASMTIME_COMPONENT_STRING: return Value::String(NameOf(v.of.string));
    case WASMTIME_COMPONENT_ENUM: return Value::Enum(NameOf(v.of.enumeration));
    case WASMTIME_COMPONENT_LIST: {
      OwnedValType elem;
      if (ty.kind == WASMTIME_COMPONENT_VALTYPE_LIST) wasmtime_component_list_type_element(ty.of.list, &elem.ty);
      if (elem.ty.kind == WASMTIME_COMPONENT_VALTYPE_U8 && ty.kind == WASMTIME_COMPONENT_VALTYPE_LIST) {
        Bytes b(v.of.list.size);
        for (size_t i = 0; i < b.size(); ++i) b[i] = v.of.list.data[i].of.u8;
        return Value::BytesValue(std::move(b));
      }
      ValueList items;
      items.reserve(v.of.list.size);
      for (size_t i = 0; i < v.of.list.size; ++i) items.push_back(FromWasmtime(v.of.list.data[i], elem.ty));
      return Value::List(std::move(items));
    }
    case WASMTIME_COMPONENT_TUPLE: {
      ValueList items;
      items.reserve(v.of.tuple.size);
      for (size_t i = 0; i < v.of.tuple.size; ++i) {
        OwnedValType t;
        if (ty.kind == WASMTIME_COMPONENT_VALTYPE_TUPLE) wasmtime_component_tuple_type_types_nth(ty.of.tuple, i, &t.ty);
        items.push_back(FromWasmtime(v.of.tuple.data[i], t.ty));
      }
      return Value::Tuple(std::move(items));
    }
    case WASMTIME_COMPONENT_RECORD: {
      FieldList fields;
      fields.reserve(v.of.record.size);
      for (size_t i = 0; i < v.of.record.size; ++i) {
        OwnedValType t;
        if (ty.kind == WASMTIME_COMPONENT_VALTYPE_RECORD) {
          const char* name;
          size_t len;
          wasmtime_component_record_type_field_nth(ty.of.record, i, &name, &len, &t.ty);
        }
        fields.push_back({NameOf(v.of.record.data[i].name), FromWasmtime(v.of.record.data[i].val, t.ty)});
      }
      return Value::Record(std::move(fields));
    }
    case WASMTIME_COMPONENT_VARIANT: {
      std::string name = NameOf(v.of.variant.discriminant);
      if (!v.of.variant.val) return Value::Variant(std::move(name), std::nullopt);
      OwnedValType t;
      if (ty.kind == WASMTIME_COMPONENT_VALTYPE_VARIANT) {
        size_t n = wasmtime_component_variant_type_case_count(ty.of.variant);
        for (size_t i = 0; i < n; ++i) {
          const char* case_name;
          size_t len;
          bool has_payload;
          OwnedValType payload;
          wasmtime_component_variant_type_case_nth(ty.of.variant, i, &case_name, &len, &has_payload, &payload.ty);
          if (has_payload && name == std::string_view(case_name, len)) {
            wasmtime_component_valtype_clone(&payload.ty, &t.ty);
            break;
          }
        }
      }
      return Value::Variant(std::move(name), FromWasmtime(*v.of.variant.val, t.ty));
    }
    case WASMTIME_COMPONENT_OPTION: {
      if (!v.of.option) return Value::None();
      OwnedValType t;
      if (ty.kind == WASMTIME_COMPONENT_VALTYPE_OPTION) wasmtime_component_option_type_ty(ty.of.option, &t.ty);
      return Value::Some(FromWasmtime(*v.of.option, t.ty));
    }
    case WASMTIME_COMPONENT_RESULT: {
      std::optional<Value> payload;
      if (v.of.result.val) {
        OwnedValType t;
        if (ty.kind == WASMTIME_COMPONENT_VALTYPE_RESULT) {
          if (v.of.result.is_ok) wasmtime_component_result_type_ok(ty.of.result, &t.ty);
          else wasmtime_component_result_type_err(ty.of.result, &t.ty);
        }
        payload = FromWasmtime(*v.of.result.val, t.ty);
      }
      return v.of.result.is_ok ? Value::Ok(std::move(payload)) : Value::Err(std::move(payload));
    }
    case WASMTIME_COMPONENT_FLAGS: {
      std::vector<std::string> names;
      for (size_t i = 0; i < v.of.flags.size; ++i) names.push_back(NameOf(v.of.flags.data[i]));
      return Value::Flags(std::move(names));
    }
    default:
      // Resources and maps are not part of theater:simple; they never reach here from a
      // signature-checked call. Represent them as an opaque string rather than crash.
      return Value::String("<unsupported value kind " + std::to_string(v.kind) + ">");
  }
}

std::string RenderType(const wasmtime_component_valtype_t& ty) {
  auto nth_list = [](size_t n, auto get) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      OwnedValType t;
      get(i, &t.ty);
      out += (i ? ", " : "") + RenderType(t.ty);
    }
    return out;
  };
  switch (ty.kind) {
    case WASMTIME_COMPONENT_VALTYPE_BOOL: return "bool";
    case WASMTIME_COMPONENT_VALTYPE_S8: return "s8";
    case WASMTIME_COMPONENT_VALTYPE_S16: return "s16";
    case WASMTIME_COMPONENT_VALTYPE_S32: return "s32";
    case WASMTIME_COMPONENT_VALTYPE_S64: return "s64";
    case WASMTIME_COMPONENT_VALTYPE_U8: return "u8";
    case WASMTIME_COMPONENT_VALTYPE_U16: return "u16";
    case WASMTIME_COMPONENT_VALTYPE_U32: return "u32";
    case WASMTIME_COMPONENT_VALTYPE_U64: return "u64";
    case WASMTIME_COMPONENT_VALTYPE_F32: return "f32";
    case WASMTIME_COMPONENT_VALTYPE_F64: return "f64";
    case WASMTIME_COMPONENT_VALTYPE_CHAR: return "char";
    case WASMTIME_COMPONENT_VALTYPE_STRING: return "string";
    case WASMTIME_COMPONENT_VALTYPE_LIST: {
      OwnedValType e;
      wasmtime_component_list_type_element(ty.of.list, &e.ty);
      return "list<" + RenderType(e.ty) + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_TUPLE:
      return "tuple<" +
             nth_list(wasmtime_component_tuple_type_types_count(ty.of.tuple),
                      [&](size_t i, wasmtime_component_valtype_t* out) {
                        wasmtime_component_tuple_type_types_nth(ty.of.tuple, i, out);
                      }) +
             ">";
    case WASMTIME_COMPONENT_VALTYPE_RECORD: {
      std::string out = "record{";
      size_t n = wasmtime_component_record_type_field_count(ty.of.record);
      for (size_t i = 0; i < n; ++i) {
        const char* name;
        size_t len;
        OwnedValType t;
        wasmtime_component_record_type_field_nth(ty.of.record, i, &name, &len, &t.ty);
        out += (i ? ", " : "") + std::string(name, len) + ": " + RenderType(t.ty);
      }
      return out + "}";
    }
    case WASMTIME_COMPONENT_VALTYPE_VARIANT: {
      std::string out = "variant{";
      size_t n = wasmtime_component_variant_type_case_count(ty.of.variant);
      for (size_t i = 0; i < n; ++i) {
        const char* name;
        size_t len;
        bool has_payload;
        OwnedValType t;
        wasmtime_component_variant_type_case_nth(ty.of.variant, i, &name, &len, &has_payload, &t.ty);
        out += (i ? ", " : "") + std::string(name, len) + (has_payload ? "(" + RenderType(t.ty) + ")" : "");
      }
      return out + "}";
    }
    case WASMTIME_COMPONENT_VALTYPE_ENUM: {
      std::string out = "enum{";
      size_t n = wasmtime_component_enum_type_names_count(ty.of.enum_);
      for (size_t i = 0; i < n; ++i) {
        const char* name;
        size_t len;
        wasmtime_component_enum_type_names_nth(ty.of.enum_, i, &name, &len);
        out += (i ? ", " : "") + std::string(name, len);
      }
      return out + "}";
    }
    case WASMTIME_COMPONENT_VALTYPE_OPTION: {
      OwnedValType t;
      wasmtime_component_option_type_ty(ty.of.option, &t.ty);
      return "option<" + RenderType(t.ty) + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_RESULT: {
      OwnedValType ok, err;
      bool has_ok = wasmtime_component_result_type_ok(ty.of.result, &ok.ty);
      bool has_err = wasmtime_component_result_type_err(ty.of.result, &err.ty);
      if (!has_ok && !has_err) return "result";
      return "result<" + (has_ok ? RenderType(ok.ty) : std::string("_")) +
             (has_err ? ", " + RenderType(err.ty) : std::string()) + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_FLAGS: {
      std::string out = "flags{";
      size_t n = wasmtime_component_flags_type_names_count(ty.of.flags);
      for (size_t i = 0; i < n; ++i) {
        const char* name;
        size_t len;
        wasmtime_component_flags_type_names_nth(ty.of.flags, i, &name, &len);
        out += (i ? ", " : "") + std::string(name, len);
      }
      return out + "}";
    }
    case WASMTIME_COMPONENT_VALTYPE_OWN: return "own<resource>";
    case WASMTIME_COMPONENT_VALTYPE_BORROW: return "borrow<resource>";
    case WASMTIME_COMPONENT_VALTYPE_FUTURE: return "future";
    case WASMTIME_COMPONENT_VALTYPE_STREAM: return "stream";
    case WASMTIME_COMPONENT_VALTYPE_ERROR_CONTEXT: return "error-context";
    default: return "map";
  }
}

std::string RenderFuncType(const wasmtime_component_func_type_t* ty) {
  std::string out = "func(";
  size_t n = wasmtime_component_func_type_param_count(ty);
  for (size_t i = 0; i < n; ++i) {
    const char* name;
    size_t len;
    OwnedValType t;
    wasmtime_component_func_type_param_nth(ty, i, &name, &len, &t.ty);
    out += (i ? ", " : "") + RenderType(t.ty);
  }
  out += ")";
  OwnedValType result;
  if (wasmtime_component_func_type_result(ty, &result.ty)) out += " -> " + RenderType(result.ty);
  return out;
}

}  // namespace theater::wt
