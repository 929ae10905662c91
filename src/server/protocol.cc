#include "server/protocol.h"

#include <map>
#include <set>

#include "common/base64.h"

namespace theater::server {
namespace {

// Longer would overflow the clock's arithmetic; nobody waits a day for an answer.
constexpr uint64_t kMaxTimeoutMs = 24ull * 60 * 60 * 1000;

// One field of a command: how it is spelled on the wire, its type, and where it goes in a
// Command. Parsing and CommandToJson both read this table: a new command is a row of it
// (and its handler, server/handlers.cc), not a case in parallel switches.
enum class FieldType { kText, kBytes, kNumber, kFlag, kEncoding };
struct FieldSpec {
  const char* wire;
  FieldType type;
  bool required;
  std::string Command::*text = nullptr;          // kText
  std::optional<Bytes> Command::*bytes = nullptr;  // kBytes
  std::optional<uint64_t> Command::*number = nullptr;  // kNumber
  bool Command::*flag = nullptr;                 // kFlag, kEncoding ("base64" is true)
};

FieldSpec Text(const char* wire, std::string Command::*m) { return {wire, FieldType::kText, true, m}; }
FieldSpec OptionalText(const char* wire, std::string Command::*m) { return {wire, FieldType::kText, false, m}; }
FieldSpec Data(const char* wire, bool required = true) {
  return {wire, FieldType::kBytes, required, nullptr, &Command::data};
}
FieldSpec Number(const char* wire, std::optional<uint64_t> Command::*m) {
  return {wire, FieldType::kNumber, false, nullptr, nullptr, m};
}
FieldSpec Flag(const char* wire, bool Command::*m) { return {wire, FieldType::kFlag, false, nullptr, nullptr, nullptr, m}; }

struct CommandSpec {
  CommandKind kind;
  std::vector<FieldSpec> fields;
  // What the fields' types cannot say (a range, a format): an error message, or "".
  std::string (*check)(const Command&) = nullptr;
};

std::string CheckTimeout(const Command& c) {
  if (c.timeout_ms && *c.timeout_ms > kMaxTimeoutMs)
    return "field `timeout_ms` must be at most " + std::to_string(kMaxTimeoutMs) + " (one day)";
  return "";
}

std::string CheckHash(const Command& c) {
  bool hex = c.hash.size() == 64 && c.hash.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  return hex ? "" : "field `hash` must be 64 hex digits";
}

// Every command: its name, its fields in the order the docs list them.
const std::map<std::string, CommandSpec, std::less<>>& Specs() {
  using K = CommandKind;
  const FieldSpec id = Text("id", &Command::id);
  static const std::map<std::string, CommandSpec, std::less<>> specs = {
      {"Authenticate", {K::kAuthenticate, {Text("token", &Command::token)}}},
      {"GetServerInfo", {K::kGetServerInfo, {}}},
      {"StartActor", {K::kStartActor, {Text("manifest", &Command::manifest), Data("initial_state", false),
                                       Flag("parent", &Command::parent), Flag("subscribe", &Command::subscribe),
                                       OptionalText("node", &Command::node)}}},
      {"StopActor", {K::kStopActor, {id}}},
      {"TerminateActor", {K::kTerminateActor, {id}}},
      {"RestartActor", {K::kRestartActor, {id}}},
      {"ListActors", {K::kListActors, {}}},
      {"GetActorStatus", {K::kGetActorStatus, {id}}},
      {"GetActorState", {K::kGetActorState, {id}}},
      {"GetActorManifest", {K::kGetActorManifest, {id}}},
      {"GetActorEvents", {K::kGetActorEvents, {id, Number("from", &Command::from), Number("limit", &Command::limit)}}},
      {"InspectActor", {K::kInspectActor, {id}}},
      {"SubscribeToActor", {K::kSubscribeToActor, {id, Number("from", &Command::from)}}},
      {"UnsubscribeFromActor", {K::kUnsubscribeFromActor, {id, Text("subscription_id", &Command::subscription_id)}}},
      {"SendActorMessage", {K::kSendActorMessage, {id, Data("data"), Flag("durable", &Command::durable)}}},
      {"RequestActorMessage",
       {K::kRequestActorMessage, {id, Data("data"), Number("timeout_ms", &Command::timeout_ms)}, CheckTimeout}},
      {"OpenChannel", {K::kOpenChannel, {Text("actor_id", &Command::id), Data("initial_message", false)}}},
      {"SendOnChannel", {K::kSendOnChannel, {Text("channel_id", &Command::id), Data("message")}}},
      {"CloseChannel", {K::kCloseChannel, {Text("channel_id", &Command::id)}}},
      {"SetBytesEncoding",
       {K::kSetBytesEncoding, {{"encoding", FieldType::kEncoding, true, nullptr, nullptr, nullptr, &Command::bytes_base64}}}},
      {"WatchActors", {K::kWatchActors, {}}},
      {"VerifyActor", {K::kVerifyActor, {id}}},
      {"ReplayActor", {K::kReplayActor, {id}}},
      {"FindEvent", {K::kFindEvent, {id, Text("hash", &Command::hash)}, CheckHash}},
  };
  return specs;
}

const FieldSpec* FindField(const CommandSpec& spec, std::string_view wire) {
  for (const FieldSpec& f : spec.fields)
    if (wire == f.wire) return &f;
  return nullptr;
}

// Commands without fields may also be sent as a bare string: "ListActors".
bool TakesNoFields(const CommandSpec& spec) { return spec.fields.empty(); }

class FieldReader {
 public:
  FieldReader(const std::string& command, const json& body) : command_(command), body_(body) {}

  std::optional<std::string> String(const char* field) {
    const json* v = Find(field);
    if (!v) return std::nullopt;
    if (!v->is_string()) return Wrong(field, "a string");
    return v->get<std::string>();
  }
  std::optional<bool> Bool(const char* field) {
    const json* v = Find(field);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) return Wrong(field, "true or false");
    return v->get<bool>();
  }
  std::optional<uint64_t> Uint(const char* field) {
    const json* v = Find(field);
    if (!v) return std::nullopt;
    if (!v->is_number_unsigned()) return Wrong(field, "a number >= 0");
    return v->get<uint64_t>();
  }
  // An array of numbers 0-255, a string (its UTF-8 bytes), or {"base64": text}; null: none.
  std::optional<Bytes> BytesField(const char* field) {
    static constexpr const char* kBytes = "an array of numbers 0-255, a string or {\"base64\":\"...\"}";
    const json* v = Find(field);
    if (!v) return std::nullopt;
    if (v->is_string()) return ToBytes(v->get<std::string>());
    if (v->is_object()) {
      auto text = v->find("base64");
      if (v->size() != 1 || text == v->end() || !text->is_string()) return Wrong(field, kBytes);
      auto bytes = Base64Decode(text->get_ref<const std::string&>());
      if (!bytes) return Wrong(field, "valid base64 (standard alphabet, padded, no whitespace)");
      return bytes;
    }
    if (!v->is_array()) return Wrong(field, kBytes);
    Bytes out;
    out.reserve(v->size());
    for (const json& b : *v) {
      if (!b.is_number_unsigned() || b.get<uint64_t>() > 255) return Wrong(field, kBytes);
      out.push_back(static_cast<uint8_t>(b.get<uint64_t>()));
    }
    return out;
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  const json* Find(const char* field) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::nullopt_t Wrong(const char* field, const char* expected) {
    if (!error_) error_ = command_ + ": field `" + field + "` must be " + expected;
    return std::nullopt;
  }
  std::string command_;
  const json& body_;
  std::optional<std::string> error_;
};

ParsedCommand Fail(const char* kind, std::string message) { return {std::nullopt, {kind, std::move(message)}}; }

}  // namespace

ParsedCommand ParseCommand(std::string_view text, size_t max_depth) {
  // The depth is bounded while parsing, before anything recurses over the document
  // (copying, comparing, destroying, dumping it): a frame of 16 MiB of `[` would
  // otherwise overflow the stack. The parser calls back at each value with its depth; the
  // first one too deep ends the parse at once (by the only way a callback can).
  struct TooDeep {};
  json doc;
  try {
    doc = json::parse(
        text,
        [max_depth](int depth, json::parse_event_t event, json&) {
          bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
          if (opens && static_cast<size_t>(depth) >= max_depth) throw TooDeep{};
          return true;
        },
        /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    return Fail(error_kind::kInvalidJson,
                "the frame nests JSON deeper than " + std::to_string(max_depth) + " levels");
  }
  if (doc.is_discarded()) return Fail(error_kind::kInvalidJson, "the frame is not a valid JSON document");
  std::string name;
  json body = json::object();
  if (doc.is_string()) {
    name = doc.get<std::string>();
  } else if (doc.is_object() && doc.size() == 1) {
    name = doc.begin().key();
    body = doc.begin().value();
  } else {
    return Fail(error_kind::kInvalidCommand,
                "a command is a JSON object with exactly one key, the command's name: {\"ListActors\":{}}");
  }
  auto spec_it = Specs().find(name);
  if (spec_it == Specs().end()) return Fail(error_kind::kUnknownCommand, "unknown command `" + name + "`");
  const CommandSpec& spec = spec_it->second;
  if (body.is_null() && TakesNoFields(spec)) body = json::object();
  if (!body.is_object()) return Fail(error_kind::kInvalidCommand, name + ": its value must be an object of fields");
  for (const auto& [field, value] : body.items())
    if (!FindField(spec, field)) return Fail(error_kind::kInvalidCommand, name + ": unknown field `" + field + "`");
  for (const FieldSpec& f : spec.fields)
    if (f.required && (!body.contains(f.wire) || body[f.wire].is_null()))
      return Fail(error_kind::kInvalidCommand, name + ": missing field `" + std::string(f.wire) + "`");

  Command c;
  c.kind = spec.kind;
  c.name = name;
  FieldReader r(name, body);
  for (const FieldSpec& f : spec.fields) {
    switch (f.type) {
      case FieldType::kText: c.*f.text = r.String(f.wire).value_or(""); break;
      case FieldType::kBytes: c.*f.bytes = r.BytesField(f.wire); break;
      case FieldType::kNumber: c.*f.number = r.Uint(f.wire); break;
      case FieldType::kFlag: c.*f.flag = r.Bool(f.wire).value_or(false); break;
      case FieldType::kEncoding: {
        std::string encoding = r.String(f.wire).value_or("");
        if (!r.error() && encoding != "array" && encoding != "base64")
          return Fail(error_kind::kInvalidCommand, name + ": field `" + f.wire + "` must be \"array\" or \"base64\"");
        c.*f.flag = encoding == "base64";
        break;
      }
    }
  }
  if (!r.error() && spec.check)
    if (std::string why = spec.check(c); !why.empty()) return Fail(error_kind::kInvalidCommand, name + ": " + why);
  if (r.error()) return Fail(error_kind::kInvalidCommand, *r.error());
  return {std::move(c), {}};
}

json Response(std::string_view tag, json body) {
  json r = json::object();
  r[std::string(tag)] = std::move(body);
  return r;
}

json ErrorResponse(const ProtocolError& error) {
  return Response("Error", {{"kind", error.kind}, {"message", error.message}});
}

json BytesToArray(const Bytes& bytes) {
  json a = json::array();
  for (uint8_t b : bytes) a.push_back(b);
  return a;
}

json BytesToJson(const Bytes& bytes, bool base64) {
  return base64 ? json{{"base64", Base64Encode(bytes)}} : BytesToArray(bytes);
}

Result<Bytes> BytesFromJson(const json& value) {
  if (value.is_object() && value.size() == 1 && value.contains("base64") && value["base64"].is_string()) {
    auto bytes = Base64Decode(value["base64"].get_ref<const std::string&>());
    if (!bytes) return Status::Error("bytes: not valid base64");
    return std::move(*bytes);
  }
  if (value.is_string()) return ToBytes(value.get<std::string>());
  if (!value.is_array()) return Status::Error("bytes: expected an array of numbers 0-255 or {\"base64\":...}");
  Bytes out;
  out.reserve(value.size());
  for (const json& b : value) {
    if (!b.is_number_unsigned() || b.get<uint64_t>() > 255) return Status::Error("bytes: an element is not a number 0-255");
    out.push_back(static_cast<uint8_t>(b.get<uint64_t>()));
  }
  return out;
}

json CommandToJson(const Command& c) {
  std::string name = c.name.empty() ? CommandName(c.kind) : c.name;
  json body = json::object();
  auto spec = Specs().find(name);
  if (spec == Specs().end()) return Response(name, std::move(body));
  // Required fields always; optional ones only when set. Bytes go as base64: a quarter of
  // an array's size at most, and no JSON value per byte.
  for (const FieldSpec& f : spec->second.fields) {
    switch (f.type) {
      case FieldType::kText:
        if (f.required || !(c.*f.text).empty()) body[f.wire] = c.*f.text;
        break;
      case FieldType::kBytes:
        if (const auto& b = c.*f.bytes; b) body[f.wire] = BytesToJson(*b, true);
        else if (f.required) body[f.wire] = nullptr;
        break;
      case FieldType::kNumber:
        if (const auto& n = c.*f.number; n) body[f.wire] = *n;
        break;
      case FieldType::kFlag:
        if (c.*f.flag) body[f.wire] = true;
        break;
      case FieldType::kEncoding: body[f.wire] = c.*f.flag ? "base64" : "array"; break;
    }
  }
  return Response(name, std::move(body));
}

std::string CommandName(CommandKind kind) {
  for (const auto& [name, spec] : Specs())
    if (spec.kind == kind) return name;
  return "";
}

}  // namespace theater::server
