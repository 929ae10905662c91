#include "server/protocol.h"

#include <map>
#include <set>

#include "common/base64.h"

namespace theater::server {
namespace {

// How each command is spelled, and the fields it takes (required ones first in the docs).
struct CommandSpec {
  CommandKind kind;
  std::set<std::string> required;
  std::set<std::string> optional;
};

const std::map<std::string, CommandSpec, std::less<>>& Specs() {
  using K = CommandKind;
  static const std::map<std::string, CommandSpec, std::less<>> specs = {
      {"Authenticate", {K::kAuthenticate, {"token"}, {}}},
      {"GetServerInfo", {K::kGetServerInfo, {}, {}}},
      {"StartActor", {K::kStartActor, {"manifest"}, {"initial_state", "parent", "subscribe"}}},
      {"StopActor", {K::kStopActor, {"id"}, {}}},
      {"TerminateActor", {K::kTerminateActor, {"id"}, {}}},
      {"RestartActor", {K::kRestartActor, {"id"}, {}}},
      {"ListActors", {K::kListActors, {}, {}}},
      {"GetActorStatus", {K::kGetActorStatus, {"id"}, {}}},
      {"GetActorState", {K::kGetActorState, {"id"}, {}}},
      {"GetActorManifest", {K::kGetActorManifest, {"id"}, {}}},
      {"GetActorEvents", {K::kGetActorEvents, {"id"}, {"from", "limit"}}},
      {"InspectActor", {K::kInspectActor, {"id"}, {}}},
      {"SubscribeToActor", {K::kSubscribeToActor, {"id"}, {"from"}}},
      {"UnsubscribeFromActor", {K::kUnsubscribeFromActor, {"id", "subscription_id"}, {}}},
      {"SendActorMessage", {K::kSendActorMessage, {"id", "data"}, {"durable"}}},
      {"RequestActorMessage", {K::kRequestActorMessage, {"id", "data"}, {"timeout_ms"}}},
      {"OpenChannel", {K::kOpenChannel, {"actor_id"}, {"initial_message"}}},
      {"SendOnChannel", {K::kSendOnChannel, {"channel_id", "message"}, {}}},
      {"CloseChannel", {K::kCloseChannel, {"channel_id"}, {}}},
      {"SetBytesEncoding", {K::kSetBytesEncoding, {"encoding"}, {}}},
      {"WatchActors", {K::kWatchActors, {}, {}}},
      {"VerifyActor", {K::kVerifyActor, {"id"}, {}}},
      {"ReplayActor", {K::kReplayActor, {"id"}, {}}},
      {"FindEvent", {K::kFindEvent, {"id", "hash"}, {}}},
  };
  return specs;
}

// Commands without fields may also be sent as a bare string: "ListActors".
bool TakesNoFields(const CommandSpec& spec) { return spec.required.empty() && spec.optional.empty(); }

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

// Longer would overflow the clock's arithmetic; nobody waits a day for an answer.
constexpr uint64_t kMaxTimeoutMs = 24ull * 60 * 60 * 1000;

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
    if (!spec.required.count(field) && !spec.optional.count(field))
      return Fail(error_kind::kInvalidCommand, name + ": unknown field `" + field + "`");
  for (const std::string& field : spec.required)
    if (!body.contains(field) || body[field].is_null())
      return Fail(error_kind::kInvalidCommand, name + ": missing field `" + field + "`");

  Command c;
  c.kind = spec.kind;
  c.name = name;
  FieldReader r(name, body);
  using K = CommandKind;
  switch (spec.kind) {
    case K::kAuthenticate: c.token = r.String("token").value_or(""); break;
    case K::kStartActor:
      c.manifest = r.String("manifest").value_or("");
      c.data = r.BytesField("initial_state");
      c.parent = r.Bool("parent").value_or(false);
      c.subscribe = r.Bool("subscribe").value_or(false);
      break;
    case K::kGetActorEvents:
    case K::kSubscribeToActor:
      c.id = r.String("id").value_or("");
      c.from = r.Uint("from");
      c.limit = r.Uint("limit");
      break;
    case K::kUnsubscribeFromActor:
      c.id = r.String("id").value_or("");
      c.subscription_id = r.String("subscription_id").value_or("");
      break;
    case K::kSendActorMessage:
    case K::kRequestActorMessage:
      c.id = r.String("id").value_or("");
      c.data = r.BytesField("data");
      c.timeout_ms = r.Uint("timeout_ms");
      c.durable = r.Bool("durable").value_or(false);
      if (c.timeout_ms && *c.timeout_ms > kMaxTimeoutMs)
        return Fail(error_kind::kInvalidCommand, name + ": field `timeout_ms` must be at most " +
                                                     std::to_string(kMaxTimeoutMs) + " (one day)");
      break;
    case K::kOpenChannel:
      c.id = r.String("actor_id").value_or("");
      c.data = r.BytesField("initial_message");
      break;
    case K::kSendOnChannel:
      c.id = r.String("channel_id").value_or("");
      c.data = r.BytesField("message");
      break;
    case K::kCloseChannel: c.id = r.String("channel_id").value_or(""); break;
    case K::kSetBytesEncoding: {
      std::string encoding = r.String("encoding").value_or("");
      if (!r.error() && encoding != "array" && encoding != "base64")
        return Fail(error_kind::kInvalidCommand, name + ": field `encoding` must be \"array\" or \"base64\"");
      c.bytes_base64 = encoding == "base64";
      break;
    }
    case K::kFindEvent: {
      c.id = r.String("id").value_or("");
      c.hash = r.String("hash").value_or("");
      bool hex = c.hash.size() == 64 && c.hash.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
      if (!r.error() && !hex) return Fail(error_kind::kInvalidCommand, name + ": field `hash` must be 64 hex digits");
      break;
    }
    case K::kGetServerInfo:
    case K::kWatchActors:
    case K::kListActors: break;
    default: c.id = r.String("id").value_or(""); break;
  }
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
  using K = CommandKind;
  json body = json::object();
  // Bytes go as base64: a quarter of an array's size at most, and no JSON value per byte.
  auto bytes = [&](const char* field) { body[field] = c.data ? BytesToJson(*c.data, true) : json(nullptr); };
  switch (c.kind) {
    case K::kAuthenticate: body["token"] = c.token; break;
    case K::kGetServerInfo:
    case K::kWatchActors:
    case K::kListActors: break;
    case K::kFindEvent:
      body["id"] = c.id;
      body["hash"] = c.hash;
      break;
    case K::kStartActor:
      body["manifest"] = c.manifest;
      bytes("initial_state");
      body["parent"] = c.parent;
      body["subscribe"] = c.subscribe;
      break;
    case K::kGetActorEvents:
    case K::kSubscribeToActor:
      body["id"] = c.id;
      if (c.from) body["from"] = *c.from;
      if (c.limit) body["limit"] = *c.limit;
      break;
    case K::kUnsubscribeFromActor:
      body["id"] = c.id;
      body["subscription_id"] = c.subscription_id;
      break;
    case K::kSendActorMessage:
    case K::kRequestActorMessage:
      body["id"] = c.id;
      bytes("data");
      if (c.timeout_ms) body["timeout_ms"] = *c.timeout_ms;
      if (c.durable) body["durable"] = true;
      break;
    case K::kOpenChannel:
      body["actor_id"] = c.id;
      bytes("initial_message");
      break;
    case K::kSendOnChannel:
      body["channel_id"] = c.id;
      bytes("message");
      break;
    case K::kCloseChannel: body["channel_id"] = c.id; break;
    case K::kSetBytesEncoding: body["encoding"] = c.bytes_base64 ? "base64" : "array"; break;
    default: body["id"] = c.id; break;
  }
  return Response(c.name.empty() ? CommandName(c.kind) : c.name, std::move(body));
}

std::string CommandName(CommandKind kind) {
  for (const auto& [name, spec] : Specs())
    if (spec.kind == kind) return name;
  return "";
}

}  // namespace theater::server
