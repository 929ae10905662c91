#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "chain/event_data.h"
#include "chain/state_ref.h"
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

namespace theater {
namespace {

Bytes Direct(const Value& v) {
  Bytes out;
  CborWriter w(out);
  WriteValue(w, v);
  return out;
}

// Events written with CborWriter must be the same bytes as the JSON tree's to_cbor, or a
// chain recorded one way would not replay against the other.
TEST(CborWriter, ScalarsEncodeAsNlohmannDoes) {
  using json = nlohmann::ordered_json;
  auto same = [](const json& j, auto write) {
    Bytes out;
    CborWriter w(out);
    write(w);
    EXPECT_EQ(ToHex(out), ToHex(json::to_cbor(j))) << j.dump();
  };
  for (uint64_t u : std::vector<uint64_t>{0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296,
                                          std::numeric_limits<uint64_t>::max()})
    same(json(u), [&](CborWriter& w) { w.UInt(u); });
  for (int64_t i : std::vector<int64_t>{-1, -24, -25, -256, -257, -65536, -65537, -4294967296, -4294967297,
                                       std::numeric_limits<int64_t>::min(), 5})
    same(json(i), [&](CborWriter& w) { w.Int(i); });
  for (double d : {0.0, -0.0, 1.5, 0.1, 1e300, -3.4028234663852886e38, 16777217.0, 1e-45,
                   std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()})
    same(json(d), [&](CborWriter& w) { w.Double(d); });
  for (size_t n : {0u, 23u, 24u, 255u, 256u, 65535u, 65536u}) {
    std::string s(n, 'x');
    same(json(s), [&](CborWriter& w) { w.Text(s); });
    Bytes b(n, 7);
    same(json::binary(b), [&](CborWriter& w) { w.ByteString(b); });
  }
  same(json(nullptr), [](CborWriter& w) { w.Null(); });
  same(json(true), [](CborWriter& w) { w.Bool(true); });
}

TEST(CborWriter, EveryValueKindMatchesItsJsonForm) {
  std::vector<Value> values = {
      Value(false), Value::S8(-128), Value::U8(200), Value::S16(-300), Value::U16(60000), Value::S32(-70000),
      Value::U32(4000000000u), Value::S64(std::numeric_limits<int64_t>::min()), Value::U64(~0ull),
      Value::F32(1.25f), Value::F32(0.1f), Value::F64(0.1), Value::F64(std::nan("")), Value::F32(-INFINITY),
      Value::Char('A'), Value::Char(0x1F600), Value::Char(0xE9), Value::String("héllo"), Value::String(""),
      Value::BytesValue(Bytes(300, 0xab)), Value::BytesValue({}),
      Value::List({Value::U32(1), Value::U32(2)}), Value::List({}), Value::Tuple({Value::String("a"), Value(true)}),
      Value::Record({{"name", Value::String("n")}, {"size", Value::U64(1)}}),
      Value::Variant("some-case", Value::U8(1)), Value::Variant("empty", std::nullopt), Value::Enum("red"),
      Value::None(), Value::Some(Value::BytesValue(ToBytes("state"))), Value::Ok(), Value::Ok(Value::String("x")),
      Value::Err(Value::String("why")), Value::Flags({"read", "write"}), Value::Flags({}),
  };
  ValueList all;
  for (const Value& v : values) {
    EXPECT_EQ(ToHex(Direct(v)), ToHex(ordered_json::to_cbor(ValueToJson(v)))) << ToDebugString(v);
    all.push_back(v);
  }
  Value nested = Value::List({Value::Tuple(all), Value::Some(Value::List(all))});
  EXPECT_EQ(Direct(nested), ordered_json::to_cbor(ValueToJson(nested)));
  Bytes list;
  CborWriter w(list);
  WriteValues(w, all);
  EXPECT_EQ(list, ordered_json::to_cbor(ValuesToJson(all)));
}

TEST(CborWriter, StateReferencesMatchTheirJsonForm) {
  for (const std::optional<StateRef>& ref :
       {std::optional<StateRef>(), std::optional<StateRef>(StateRef{Sha256(ToBytes("state")), 5}),
        std::optional<StateRef>(StateRef{Sha256(Bytes()), 0}), std::optional<StateRef>(StateRef{Hash{}, 64ull << 20})}) {
    Bytes out;
    CborWriter w(out);
    WriteStateRef(w, ref);
    EXPECT_EQ(out, ordered_json::to_cbor(StateRefToJson(ref)));
  }
}

// Large byte strings by reference (docs/chain-format.md, section 6.2): the writer and the
// JSON path give the same bytes, the reader finds every reference, and a reader refuses
// any other tag or a malformed reference.
TEST(CborWriter, LargeBytesByReferenceMatchTheirJsonFormAndAreFound) {
  Bytes small(kMinBytesByRef - 1, 1), large(kMinBytesByRef, 2), other(200 * 1024, 3);
  Value v = Value::Tuple({Value::BytesValue(small), Value::BytesValue(large),
                          Value::Record({{"body", Value::BytesValue(other)}, {"again", Value::BytesValue(large)}})});
  Bytes direct;
  std::vector<BytesByRef> listed;
  CborWriter w(direct);
  w.WriteLargeBytesByRef(&listed);
  WriteValue(w, v);
  std::vector<BytesByRef> from_json;
  ordered_json tree = ValueToJson(v);
  EXPECT_TRUE(HasLargeBytes(tree));
  EXPECT_EQ(ToHex(direct), ToHex(ordered_json::to_cbor(WithLargeBytesByRef(tree, &from_json))));
  ASSERT_EQ(listed.size(), 3u);  // the small one stays inline
  ASSERT_EQ(from_json.size(), 3u);
  EXPECT_EQ(listed[0].sha256, Sha256(large));
  EXPECT_EQ(listed[1].sha256, Sha256(other));
  EXPECT_EQ(listed[1].bytes.size(), other.size());
  EXPECT_LT(direct.size(), small.size() + 200);

  std::vector<StateRef> refs;
  EXPECT_EQ(CheckEventData(direct, &refs), "");
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[1], StateRefOf(other));
  EXPECT_TRUE(MayNameBytesByRef(direct));
  EXPECT_FALSE(MayNameBytesByRef(ordered_json::to_cbor(ValueToJson(v))));
  auto decoded = DecodeEventData(direct);
  ASSERT_FALSE(decoded.is_discarded());
  EXPECT_EQ(BytesRefIn(decoded[1]), StateRefOf(large));
  EXPECT_FALSE(BytesRefIn(decoded[0]));
  EXPECT_EQ(ReadableJson(ordered_json(decoded[2]["body"])), StateRefToJson(StateRefOf(other)));

  // Read back with its type, from a source of snapshots; without one, a clear error.
  struct Source : SnapshotSource {
    Result<Bytes> Read(const StateRef& ref) const override {
      if (ref.sha256 == Sha256(small_)) return small_;
      return Status::Error("no snapshot");
    }
    Bytes small_;
  } source;
  auto t = ParseValueType("tuple<list<u8>, list<u8>>");
  auto pair = ordered_json::to_cbor(WithLargeBytesByRef(ordered_json::array({ordered_json::binary(large), ordered_json::binary(small)}), nullptr));
  source.small_ = large;
  auto back = JsonToValue(DecodeEventData(pair), *t, &source);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->items()[0].as_bytes(), large);
  auto missing = JsonToValue(DecodeEventData(pair), *t);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("no snapshots to read them from"), std::string::npos) << missing.error();

  // Another tag, or the tag over anything but 40 bytes, is refused.
  Bytes tagged = {0xc1, 0x00};
  EXPECT_NE(CheckEventData(tagged).find("a tag at byte 0"), std::string::npos);
  Bytes short_ref = {0xda, 0x54, 0x48, 0x42, 0x31, 0x58, 39};
  short_ref.resize(short_ref.size() + 39);
  EXPECT_NE(CheckEventData(short_ref).find("not over a 40-byte string"), std::string::npos);
  Bytes cut = {0xda, 0x54, 0x48, 0x42, 0x31, 0x58, 40, 0};
  EXPECT_NE(CheckEventData(cut).find("not over a 40-byte string"), std::string::npos);
}

}  // namespace
}  // namespace theater
