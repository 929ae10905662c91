// Frames and commands of the management protocol (server/frame.h, server/protocol.h),
// without a server; and the fuzz target's checks over its seed corpus (fuzz/corpus/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/protocol_fuzz_check.h"
#include "server/frame.h"
#include "server/protocol.h"

namespace theater::server {
namespace {

// Every frame the reader has now; fails the test on an error.
std::vector<std::string> Drain(FrameReader& reader) {
  std::vector<std::string> frames;
  for (;;) {
    auto next = reader.Next();
    EXPECT_TRUE(next.ok()) << next.status().message();
    if (!next.ok() || !*next) return frames;
    frames.push_back(std::move(**next));
  }
}

TEST(Frame, HeaderIsFourBytesBigEndian) {
  EXPECT_EQ(EncodeFrame("abc"), std::string("\0\0\0\3abc", 7));
  std::string header = EncodeFrame(std::string(0x010203, 'x')).substr(0, 4);
  EXPECT_EQ(header, std::string("\0\1\2\3", 4));
  EXPECT_EQ(DecodeFrameLength(reinterpret_cast<const uint8_t*>("\x12\x34\x56\x78")), 0x12345678u);
}

TEST(FrameReader, SplitAnywhereGivesTheSameFrames) {
  std::vector<std::string> sent = {"\"ListActors\"", "", std::string(300, 'z'), "{\"StopActor\":{\"id\":\"a\"}}"};
  std::string stream;
  for (const std::string& f : sent) stream += EncodeFrame(f);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader reader;
    reader.Append(stream.substr(0, cut));
    std::vector<std::string> got = Drain(reader);
    reader.Append(stream.substr(cut));
    for (std::string& f : Drain(reader)) got.push_back(std::move(f));
    EXPECT_EQ(got, sent) << "cut at " << cut;
    EXPECT_EQ(reader.buffered(), 0u);
  }
  FrameReader bytewise;
  std::vector<std::string> got;
  for (char c : stream) {
    bytewise.Append(std::string_view(&c, 1));
    for (std::string& f : Drain(bytewise)) got.push_back(std::move(f));
  }
  EXPECT_EQ(got, sent);
}

TEST(FrameReader, WaitsForAWholeFrame) {
  FrameReader reader;
  std::string frame = EncodeFrame("hello");
  reader.Append(frame.substr(0, 3));
  EXPECT_TRUE(Drain(reader).empty());
  EXPECT_EQ(reader.buffered(), 3u);
  reader.Append(frame.substr(3, 4));
  EXPECT_TRUE(Drain(reader).empty());
  EXPECT_EQ(reader.buffered(), 7u);
  reader.Append(frame.substr(7));
  EXPECT_EQ(Drain(reader), std::vector<std::string>{"hello"});
}

TEST(FrameReader, ZeroLengthFrameIsAnEmptyBody) {
  FrameReader reader;
  reader.Append(EncodeFrame(""));
  reader.Append(EncodeFrame(""));
  EXPECT_EQ(Drain(reader), (std::vector<std::string>{"", ""}));
  // ...which is not a command.
  EXPECT_EQ(ParseCommand("").error.kind, error_kind::kInvalidJson);
}

TEST(FrameReader, OverTheLimitIsAnErrorAndStaysOne) {
  FrameReader reader(16);
  reader.Append(EncodeFrame(std::string(16, 'a')));  // exactly the limit is fine
  EXPECT_EQ(Drain(reader), std::vector<std::string>{std::string(16, 'a')});
  reader.Append(std::string("\0\0\0\x11", 4));  // 17: refused from the header alone
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.error().find("17 bytes"), std::string::npos) << next.error();
  reader.Append(EncodeFrame("ok"));
  EXPECT_FALSE(reader.Next().ok());
  EXPECT_FALSE(reader.Next().ok());

  FrameReader huge;  // the default limit, 16 MiB: a 4 GiB announcement is not waited for
  huge.Append("\xff\xff\xff\xff");
  EXPECT_FALSE(huge.Next().ok());
}

TEST(FrameReader, LongStreamsInPieces) {
  // Past the 4 KiB after which the reader drops what it has read.
  std::vector<std::string> sent;
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    sent.push_back(std::string(static_cast<size_t>(i * 7 % 301), static_cast<char>('a' + i % 26)));
    stream += EncodeFrame(sent.back());
  }
  FrameReader reader;
  std::vector<std::string> got;
  for (size_t at = 0; at < stream.size(); at += 997) {
    reader.Append(stream.substr(at, 997));
    for (std::string& f : Drain(reader)) got.push_back(std::move(f));
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(reader.buffered(), 0u);
}

// --- ParseCommand -------------------------------------------------------------------------

Command Parse(const std::string& text) {
  ParsedCommand p = ParseCommand(text);
  EXPECT_TRUE(p.command.has_value()) << text << ": " << p.error.kind << ": " << p.error.message;
  return p.command.value_or(Command{});
}

// The error of a text that must not parse, as "Kind: message".
std::string Refusal(const std::string& text) {
  ParsedCommand p = ParseCommand(text);
  EXPECT_FALSE(p.command.has_value()) << text << " parsed";
  return p.error.kind + ": " + p.error.message;
}

TEST(ParseCommand, EveryCommandWithItsFields) {
  Command c = Parse(R"({"Authenticate":{"token":"s3cret"}})");
  EXPECT_EQ(c.kind, CommandKind::kAuthenticate);
  EXPECT_EQ(c.name, "Authenticate");
  EXPECT_EQ(c.token, "s3cret");

  EXPECT_EQ(Parse(R"({"GetServerInfo":{}})").kind, CommandKind::kGetServerInfo);
  EXPECT_EQ(Parse(R"({"ListActors":{}})").kind, CommandKind::kListActors);

  c = Parse(R"({"StartActor":{"manifest":"/m.toml","initial_state":[1,2],"parent":true,"subscribe":true}})");
  EXPECT_EQ(c.kind, CommandKind::kStartActor);
  EXPECT_EQ(c.manifest, "/m.toml");
  EXPECT_EQ(c.data, (Bytes{1, 2}));
  EXPECT_TRUE(c.parent);
  EXPECT_TRUE(c.subscribe);
  c = Parse(R"({"StartActor":{"manifest":"/m.toml"}})");
  EXPECT_FALSE(c.data.has_value());
  EXPECT_FALSE(c.parent);
  EXPECT_FALSE(c.subscribe);

  const std::vector<std::pair<std::string, CommandKind>> by_id = {
      {"StopActor", CommandKind::kStopActor},           {"TerminateActor", CommandKind::kTerminateActor},
      {"RestartActor", CommandKind::kRestartActor},     {"GetActorStatus", CommandKind::kGetActorStatus},
      {"GetActorState", CommandKind::kGetActorState},   {"GetActorManifest", CommandKind::kGetActorManifest},
      {"InspectActor", CommandKind::kInspectActor}};
  for (const auto& [name, kind] : by_id) {
    c = Parse("{\"" + name + "\":{\"id\":\"a1\"}}");
    EXPECT_EQ(c.kind, kind) << name;
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.id, "a1") << name;
  }

  c = Parse(R"({"GetActorEvents":{"id":"a1","from":3,"limit":10}})");
  EXPECT_EQ(c.kind, CommandKind::kGetActorEvents);
  EXPECT_EQ(c.id, "a1");
  EXPECT_EQ(c.from, 3u);
  EXPECT_EQ(c.limit, 10u);
  c = Parse(R"({"GetActorEvents":{"id":"a1"}})");
  EXPECT_FALSE(c.from.has_value());
  EXPECT_FALSE(c.limit.has_value());

  c = Parse(R"({"SubscribeToActor":{"id":"a1","from":0}})");
  EXPECT_EQ(c.kind, CommandKind::kSubscribeToActor);
  EXPECT_EQ(c.from, 0u);
  EXPECT_FALSE(Parse(R"({"SubscribeToActor":{"id":"a1"}})").from.has_value());

  c = Parse(R"({"UnsubscribeFromActor":{"id":"a1","subscription_id":"sub-1"}})");
  EXPECT_EQ(c.kind, CommandKind::kUnsubscribeFromActor);
  EXPECT_EQ(c.id, "a1");
  EXPECT_EQ(c.subscription_id, "sub-1");

  c = Parse(R"({"SendActorMessage":{"id":"a1","data":[104,105]}})");
  EXPECT_EQ(c.kind, CommandKind::kSendActorMessage);
  EXPECT_EQ(c.data, ToBytes("hi"));

  c = Parse(R"({"RequestActorMessage":{"id":"a1","data":"get a","timeout_ms":250}})");
  EXPECT_EQ(c.kind, CommandKind::kRequestActorMessage);
  EXPECT_EQ(c.data, ToBytes("get a"));
  EXPECT_EQ(c.timeout_ms, 250u);
  EXPECT_FALSE(Parse(R"({"RequestActorMessage":{"id":"a1","data":""}})").timeout_ms.has_value());

  c = Parse(R"({"OpenChannel":{"actor_id":"a1","initial_message":"alice"}})");
  EXPECT_EQ(c.kind, CommandKind::kOpenChannel);
  EXPECT_EQ(c.id, "a1");
  EXPECT_EQ(c.data, ToBytes("alice"));
  EXPECT_FALSE(Parse(R"({"OpenChannel":{"actor_id":"a1"}})").data.has_value());

  c = Parse(R"({"SendOnChannel":{"channel_id":"ch","message":[0,255]}})");
  EXPECT_EQ(c.kind, CommandKind::kSendOnChannel);
  EXPECT_EQ(c.id, "ch");
  EXPECT_EQ(c.data, (Bytes{0, 255}));

  c = Parse(R"({"CloseChannel":{"channel_id":"ch"}})");
  EXPECT_EQ(c.kind, CommandKind::kCloseChannel);
  EXPECT_EQ(c.id, "ch");
}

TEST(ParseCommand, FieldlessCommandsAsBareStrings) {
  EXPECT_EQ(Parse(R"("ListActors")").kind, CommandKind::kListActors);
  EXPECT_EQ(Parse(R"("GetServerInfo")").kind, CommandKind::kGetServerInfo);
  EXPECT_EQ(Parse(R"({"ListActors":null})").kind, CommandKind::kListActors);
  // A command with fields needs them.
  EXPECT_EQ(Refusal(R"("StopActor")"), "InvalidCommand: StopActor: missing field `id`");
  EXPECT_EQ(Refusal(R"({"StopActor":null})"), "InvalidCommand: StopActor: its value must be an object of fields");
}

TEST(ParseCommand, UnknownCommand) {
  EXPECT_EQ(Refusal(R"({"LaunchMissiles":{}})"), "UnknownCommand: unknown command `LaunchMissiles`");
  EXPECT_EQ(Refusal(R"("listactors")"), "UnknownCommand: unknown command `listactors`");
}

TEST(ParseCommand, UnknownFieldIsRefused) {
  EXPECT_EQ(Refusal(R"({"StopActor":{"id":"a","force":true}})"), "InvalidCommand: StopActor: unknown field `force`");
  EXPECT_EQ(Refusal(R"({"ListActors":{"all":true}})"), "InvalidCommand: ListActors: unknown field `all`");
  // A field of another command is unknown here.
  EXPECT_EQ(Refusal(R"({"SendActorMessage":{"id":"a","data":[],"timeout_ms":5}})"),
            "InvalidCommand: SendActorMessage: unknown field `timeout_ms`");
  EXPECT_EQ(Refusal(R"({"SubscribeToActor":{"id":"a","limit":5}})"),
            "InvalidCommand: SubscribeToActor: unknown field `limit`");
}

TEST(ParseCommand, MissingFieldIsNamed) {
  EXPECT_EQ(Refusal(R"({"UnsubscribeFromActor":{"id":"a"}})"),
            "InvalidCommand: UnsubscribeFromActor: missing field `subscription_id`");
  EXPECT_EQ(Refusal(R"({"StartActor":{}})"), "InvalidCommand: StartActor: missing field `manifest`");
  // null is as good as absent.
  EXPECT_EQ(Refusal(R"({"SendActorMessage":{"id":"a","data":null}})"),
            "InvalidCommand: SendActorMessage: missing field `data`");
  EXPECT_FALSE(Parse(R"({"StartActor":{"manifest":"/m","initial_state":null,"parent":null}})").data.has_value());
}

TEST(ParseCommand, WrongTypesAreNamed) {
  EXPECT_EQ(Refusal(R"({"StopActor":{"id":7}})"), "InvalidCommand: StopActor: field `id` must be a string");
  EXPECT_EQ(Refusal(R"({"GetActorEvents":{"id":"a","from":-1}})"),
            "InvalidCommand: GetActorEvents: field `from` must be a number >= 0");
  EXPECT_EQ(Refusal(R"({"GetActorEvents":{"id":"a","limit":1.5}})"),
            "InvalidCommand: GetActorEvents: field `limit` must be a number >= 0");
  EXPECT_EQ(Refusal(R"({"RequestActorMessage":{"id":"a","data":[],"timeout_ms":"5"}})"),
            "InvalidCommand: RequestActorMessage: field `timeout_ms` must be a number >= 0");
  EXPECT_EQ(Refusal(R"({"StartActor":{"manifest":"/m","parent":"yes"}})"),
            "InvalidCommand: StartActor: field `parent` must be true or false");
  EXPECT_EQ(Refusal(R"({"SendActorMessage":{"id":"a","data":{"0":1}}})"),
            "InvalidCommand: SendActorMessage: field `data` must be an array of numbers 0-255, a string or "
            "{\"base64\":\"...\"}");
  EXPECT_EQ(Refusal(R"({"Authenticate":{"token":["t"]}})"),
            "InvalidCommand: Authenticate: field `token` must be a string");
  // The first wrong field is the one named.
  EXPECT_EQ(Refusal(R"({"GetActorEvents":{"id":7,"from":-1}})"),
            "InvalidCommand: GetActorEvents: field `id` must be a string");
}

TEST(ParseCommand, NotOneKeyedObject) {
  for (const char* text : {"{}", R"({"ListActors":{},"GetServerInfo":{}})", "[]", "42", "null", "true"})
    EXPECT_EQ(ParseCommand(text).error.kind, error_kind::kInvalidCommand) << text;
}

TEST(ParseCommand, InvalidJson) {
  for (std::string text : {std::string(R"({"StopActor":{"id":)"), std::string(""), std::string("{'a':1}"),
                           std::string("\"ListActors\" x"), std::string("\0\0\0\x0c", 4),
                           std::string("{\"StopActor\":{\"id\":\"\xff\"}}")})
    EXPECT_EQ(ParseCommand(text).error.kind, error_kind::kInvalidJson) << text;
}

TEST(ParseCommand, NestingDeeperThanTheLimitIsRefusedWhileParsing) {
  auto nested = [](size_t arrays) {
    return "{\"StopActor\":{\"id\":" + std::string(arrays, '[') + std::string(arrays, ']') + "}}";
  };
  EXPECT_EQ(ParseCommand(nested(kDefaultMaxJsonDepth - 2)).error.kind, error_kind::kInvalidCommand);  // 64 deep
  ParsedCommand deeper = ParseCommand(nested(kDefaultMaxJsonDepth - 1));
  EXPECT_EQ(deeper.error.kind, error_kind::kInvalidJson);
  EXPECT_NE(deeper.error.message.find("deeper than 64 levels"), std::string::npos) << deeper.error.message;
  // A million levels: refused, not a stack overflow; and a smaller limit is honoured.
  EXPECT_EQ(ParseCommand(nested(1000000)).error.kind, error_kind::kInvalidJson);
  EXPECT_EQ(ParseCommand("{\"StopActor\":{\"id\":\"x\"}}", 1).error.kind, error_kind::kInvalidJson);
  EXPECT_TRUE(ParseCommand("{\"StopActor\":{\"id\":\"x\"}}", 2).command);
}

TEST(ParseCommand, BytesAsArrayOrString) {
  EXPECT_EQ(Parse(R"({"SendActorMessage":{"id":"a","data":[104,105]}})").data,
            Parse(R"({"SendActorMessage":{"id":"a","data":"hi"}})").data);
  // A string is its UTF-8 bytes, escapes decoded.
  EXPECT_EQ(Parse(R"({"SendActorMessage":{"id":"a","data":"\u00e9\u0000"}})").data,
            (Bytes{0xc3, 0xa9, 0x00}));
  Command empty = Parse(R"({"SendActorMessage":{"id":"a","data":[]}})");
  ASSERT_TRUE(empty.data.has_value());
  EXPECT_TRUE(empty.data->empty());
  EXPECT_EQ(Parse(R"({"SendActorMessage":{"id":"a","data":[0,255]}})").data, (Bytes{0, 255}));
}

TEST(ParseCommand, OutOfRangeBytesAreRefused) {
  for (const char* data : {"[1,256]", "[-1]", "[1.0]", "[\"a\"]", "[[1]]", "[null]", "[18446744073709551616]"})
    EXPECT_EQ(Refusal(std::string(R"({"SendActorMessage":{"id":"a","data":)") + data + "}}"),
              "InvalidCommand: SendActorMessage: field `data` must be an array of numbers 0-255, a string or "
              "{\"base64\":\"...\"}")
        << data;
}

TEST(ParseCommand, BytesAsBase64) {
  EXPECT_EQ(Parse(R"({"SendActorMessage":{"id":"a","data":{"base64":"AP8="}}})").data, (Bytes{0, 255}));
  EXPECT_EQ(Parse(R"({"SendActorMessage":{"id":"a","data":{"base64":""}}})").data, Bytes());
  // Not canonical base64: refused, naming the field.
  for (const char* text : {"AP8", "AP9=", " AP8=", "AP8=\\n", "A===", "AP8=AP8=", "AP_=", "AP-="})
    EXPECT_EQ(Refusal(std::string(R"({"SendActorMessage":{"id":"a","data":{"base64":")") + text + "\"}}}"),
              "InvalidCommand: SendActorMessage: field `data` must be valid base64 (standard alphabet, padded, "
              "no whitespace)")
        << text;
  // Any other object is not bytes.
  for (const char* data : {R"({})", R"({"base64":1})", R"({"base64":"AA==","x":1})", R"({"hex":"00"})"})
    EXPECT_NE(Refusal(std::string(R"({"SendActorMessage":{"id":"a","data":)") + data + "}}").find("field `data` must be"),
              std::string::npos)
        << data;
}

TEST(ParseCommand, SetBytesEncoding) {
  EXPECT_TRUE(Parse(R"({"SetBytesEncoding":{"encoding":"base64"}})").bytes_base64);
  EXPECT_FALSE(Parse(R"({"SetBytesEncoding":{"encoding":"array"}})").bytes_base64);
  EXPECT_EQ(Refusal(R"({"SetBytesEncoding":{"encoding":"hex"}})"),
            "InvalidCommand: SetBytesEncoding: field `encoding` must be \"array\" or \"base64\"");
  EXPECT_EQ(Refusal(R"({"SetBytesEncoding":{}})"), "InvalidCommand: SetBytesEncoding: missing field `encoding`");
}

TEST(BytesFromJson, TakesEveryFormAServerSends) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  for (bool base64 : {false, true}) {
    auto back = BytesFromJson(BytesToJson(all, base64));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, all);
  }
  EXPECT_EQ(BytesToJson(ToBytes("hi"), true).dump(), R"({"base64":"aGk="})");
  EXPECT_FALSE(BytesFromJson(json{{"base64", "a"}}).ok());
  EXPECT_FALSE(BytesFromJson(json::array({256})).ok());
}

// --- CommandToJson -------------------------------------------------------------------------

// A command of each kind with every field it has set to something other than its default.
std::vector<Command> OneOfEach() {
  std::vector<Command> all;
  for (int k = static_cast<int>(CommandKind::kAuthenticate); k <= static_cast<int>(CommandKind::kFindEvent); ++k) {
    Command c;
    c.kind = static_cast<CommandKind>(k);
    c.name = CommandName(c.kind);
    using K = CommandKind;
    switch (c.kind) {
      case K::kAuthenticate: c.token = "t\"ok\u00e9n"; break;
      case K::kGetServerInfo:
      case K::kWatchActors:
      case K::kListActors: break;
      case K::kFindEvent:
        c.id = "a1";
        c.hash = std::string(63, 'a') + "F";
        break;
      case K::kStartActor:
        c.manifest = "name = \"x\"\nversion = \"1\"\n";
        c.data = Bytes{0, 1, 255};
        c.parent = true;
        c.subscribe = true;
        break;
      case K::kGetActorEvents:
        c.id = "a1";
        c.from = 7;
        c.limit = UINT64_MAX;
        break;
      case K::kSubscribeToActor:
        c.id = "a1";
        c.from = 0;
        break;
      case K::kUnsubscribeFromActor:
        c.id = "a1";
        c.subscription_id = "sub-9";
        break;
      case K::kRequestActorMessage: c.timeout_ms = 1; [[fallthrough]];
      case K::kSendActorMessage:
      case K::kOpenChannel:
      case K::kSendOnChannel:
        c.id = "a1";
        c.data = ToBytes("hello");
        break;
      case K::kSetBytesEncoding: c.bytes_base64 = true; break;
      default: c.id = "a1"; break;
    }
    all.push_back(c);
  }
  return all;
}

TEST(CommandToJson, EveryKindRoundTrips) {
  std::vector<Command> all = OneOfEach();
  ASSERT_EQ(all.size(), 24u);
  for (const Command& c : all) {
    ASSERT_FALSE(c.name.empty()) << "kind " << static_cast<int>(c.kind) << " has no name";
    std::string text = CommandToJson(c).dump();
    ParsedCommand back = ParseCommand(text);
    ASSERT_TRUE(back.command.has_value()) << text << ": " << back.error.message;
    EXPECT_TRUE(fuzz::SameCommand(c, *back.command)) << text;
    EXPECT_EQ(fuzz::CheckCommandText(text), "");
  }
  // Optional fields left out stay out.
  Command bare;
  bare.kind = CommandKind::kStartActor;
  bare.manifest = "/m.toml";
  ParsedCommand back = ParseCommand(CommandToJson(bare).dump());
  ASSERT_TRUE(back.command.has_value());
  EXPECT_FALSE(back.command->data.has_value());
  EXPECT_EQ(back.command->name, "StartActor");  // an empty name is the kind's
}

TEST(CommandToJson, IsWhatAClientSends) {
  Command c;
  c.kind = CommandKind::kSendActorMessage;
  c.id = "a1";
  c.data = ToBytes("hi");
  EXPECT_EQ(CommandToJson(c).dump(), R"({"SendActorMessage":{"id":"a1","data":{"base64":"aGk="}}})");
  c = Command{};
  c.kind = CommandKind::kListActors;
  EXPECT_EQ(CommandToJson(c).dump(), R"({"ListActors":{}})");
  EXPECT_EQ(ErrorResponse({"Busy", "full"}).dump(), R"({"Error":{"kind":"Busy","message":"full"}})");
}

// --- The fuzz target's checks --------------------------------------------------------------

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ProtocolFuzzCorpus, EverySeedPassesTheFuzzChecks) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(THEATER_FUZZ_CORPUS)) {
    if (!entry.is_regular_file()) continue;
    std::string input = ReadAll(entry.path());
    EXPECT_EQ(fuzz::CheckProtocolInput(reinterpret_cast<const uint8_t*>(input.data()), input.size()), "")
        << entry.path();
    ++files;
  }
  EXPECT_GE(files, 20u);
}

TEST(ProtocolFuzzCorpus, ChecksHoldForEdgeInputs) {
  for (std::string input : {std::string(), std::string("\0", 1), std::string("\0\0\0\0", 4),
                            std::string("\0\0\x04\x01", 4), std::string(20000, '['), std::string(10000, '"')}) {
    EXPECT_EQ(fuzz::CheckProtocolInput(reinterpret_cast<const uint8_t*>(input.data()), input.size()), "")
        << input.size() << " bytes";
  }
}

}  // namespace
}  // namespace theater::server
