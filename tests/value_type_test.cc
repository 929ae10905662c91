#include <gtest/gtest.h>

#include "runtime/value_json.h"
#include "runtime/value_type.h"

namespace theater {
namespace {

// Value -> chain form (JSON, through CBOR as in an event) -> Value again.
void RoundTrip(const Value& v, const std::string& type) {
  auto t = ParseValueType(type);
  ASSERT_TRUE(t.ok()) << t.error();
  auto cbor = ordered_json::to_cbor(ordered_json{{"v", ValueToJson(v)}});
  auto back = JsonToValue(nlohmann::json::from_cbor(cbor)["v"], *t);
  ASSERT_TRUE(back.ok()) << type << ": " << back.error();
  EXPECT_EQ(*back, v) << type << ": " << ToDebugString(*back) << " vs " << ToDebugString(v);
}

TEST(ValueType, ParsesWhatTheEngineRenders) {
  auto f = ParseFuncType("func(option<list<u8>>, tuple<string, list<u8>>) -> result<tuple<option<list<u8>>, "
                         "tuple<option<list<u8>>>>, string>");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->params.size(), 2u);
  EXPECT_EQ(f->result.kind, ValueType::Kind::kResult);
  auto none = ParseFuncType("func()");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->result.kind, ValueType::Kind::kNone);
  EXPECT_FALSE(ParseValueType("list<u8").ok());
  EXPECT_FALSE(ParseValueType("thing").ok());
  EXPECT_FALSE(ParseValueType("u8 u8").ok());
}

TEST(ValueType, EveryKindRoundTripsThroughTheChainForm) {
  RoundTrip(Value(true), "bool");
  RoundTrip(Value::S8(-5), "s8");
  RoundTrip(Value::U16(65535), "u16");
  RoundTrip(Value::S64(-1234567890123), "s64");
  RoundTrip(Value::U64(UINT64_MAX), "u64");
  RoundTrip(Value::F64(0.25), "f64");
  RoundTrip(Value::F32(-1.5f), "f32");
  RoundTrip(Value::Char(0x1F3AD), "char");
  RoundTrip(Value::String("héllo"), "string");
  RoundTrip(Value::BytesValue({0, 1, 255}), "list<u8>");
  RoundTrip(Value::BytesValue({}), "list<u8>");
  RoundTrip(Value::List({Value::String("a"), Value::String("b")}), "list<string>");
  RoundTrip(Value::Tuple({Value::U32(1), Value::String("x")}), "tuple<u32, string>");
  RoundTrip(Value::Record({{"hash", Value::U64(7)}, {"name", Value::None()}}), "record{hash: u64, name: option<string>}");
  RoundTrip(Value::Some(Value::Some(Value::U8(1))), "option<option<u8>>");
  RoundTrip(Value::Ok(), "result<_, string>");
  RoundTrip(Value::Err(Value::String("no")), "result<_, string>");
  RoundTrip(Value::Ok(Value::BytesValue({1})), "result<list<u8>, string>");
  RoundTrip(Value::Ok(), "result");
  RoundTrip(Value::Variant("success", Value::Record({{"code", Value::S32(0)}})), "variant{success(record{code: s32}), error}");
  RoundTrip(Value::Variant("error", std::nullopt), "variant{success(record{code: s32}), error}");
  RoundTrip(Value::Enum("internal"), "enum{timeout, internal}");
  RoundTrip(Value::Flags({"read", "write"}), "flags{read, write, exec}");
}

TEST(ValueType, MismatchesAreErrors) {
  auto t = ParseValueType("result<u64, string>");
  EXPECT_FALSE(JsonToValue(nlohmann::json{{"ok", "text"}}, *t).ok());
  EXPECT_FALSE(JsonToValue(nlohmann::json(3), *t).ok());
}

}  // namespace
}  // namespace theater
