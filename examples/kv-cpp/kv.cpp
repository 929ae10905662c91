// kv: a C++ actor holding a small key-value map in its state.
//   handle-request  "set KEY VALUE" -> "ok"        "get KEY" -> the value, or "not found: KEY"
//                   "del KEY" -> "deleted"          "keys" -> the keys, comma separated
//   handle-send     the same commands, without an answer
// The state is the map as text, one "key=value" line per entry, so it reads well in the chain.
// Bindings come from `wit-bindgen c` for the message-actor world of ../../wit; the
// channel handlers are the SDK defaults (sdk/c/theater_defaults.c).
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "message_actor.h"

namespace {

using Map = std::map<std::string, std::string>;

std::string_view View(const uint8_t* ptr, size_t len) { return {reinterpret_cast<const char*>(ptr), len}; }

void Log(const std::string& text) {
  message_actor_string_t msg{reinterpret_cast<uint8_t*>(const_cast<char*>(text.data())), text.size()};
  theater_simple_runtime_log(&msg);
}

Map Decode(const message_actor_list_u8_t* state) {
  Map map;
  if (!state) return map;
  std::string_view text = View(state->ptr, state->len);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    size_t eq = line.find('=');
    if (eq != std::string_view::npos) map.emplace(line.substr(0, eq), line.substr(eq + 1));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return map;
}

// A malloc'd buffer (the bindings free it after the call returns).
message_actor_list_u8_t Bytes(const std::string& s) {
  message_actor_list_u8_t out{static_cast<uint8_t*>(std::malloc(s.size() ? s.size() : 1)), s.size()};
  std::memcpy(out.ptr, s.data(), s.size());
  return out;
}

message_actor_option_list_u8_t Encode(const Map& map) {
  std::string text;
  for (const auto& [k, v] : map) text += k + "=" + v + "\n";
  return {true, Bytes(text)};
}

// Runs one command against the map and returns the answer.
std::string Apply(Map& map, std::string_view command) {
  size_t space = command.find(' ');
  std::string_view verb = command.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : command.substr(space + 1);
  if (verb == "set") {
    size_t sep = rest.find(' ');
    std::string key(rest.substr(0, sep));
    if (key.empty() || key.find('=') != std::string::npos || sep == std::string_view::npos)
      return "error: usage: set KEY VALUE (KEY without '=')";
    std::string value(rest.substr(sep + 1));
    if (value.find('\n') != std::string::npos) return "error: values are one line";
    map[key] = value;
    return "ok";
  }
  if (verb == "get") {
    auto it = map.find(std::string(rest));
    return it == map.end() ? "not found: " + std::string(rest) : it->second;
  }
  if (verb == "del") return map.erase(std::string(rest)) ? "deleted" : "not found: " + std::string(rest);
  if (verb == "keys") {
    std::string keys;
    for (const auto& [k, v] : map) keys += (keys.empty() ? "" : ",") + k;
    return keys;
  }
  return "error: unknown command `" + std::string(verb) + "` (set, get, del, keys)";
}

}  // namespace

extern "C" {

bool exports_theater_simple_actor_init(message_actor_list_u8_t* state, message_actor_tuple1_string_t* params,
                                       message_actor_tuple1_option_list_u8_t* ret, message_actor_string_t* err) {
  Map map = Decode(state);
  Log("kv store ready with " + std::to_string(map.size()) + " keys");
  ret->f0 = Encode(map);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_send(message_actor_list_u8_t* state,
                                                              message_actor_tuple1_list_u8_t* params,
                                                              message_actor_tuple1_option_list_u8_t* ret,
                                                              message_actor_string_t* err) {
  Map map = Decode(state);
  std::string_view command = View(params->f0.ptr, params->f0.len);
  Log(std::string(command) + " -> " + Apply(map, command));
  ret->f0 = Encode(map);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    message_actor_list_u8_t* state, message_actor_tuple2_string_list_u8_t* params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t* ret, message_actor_string_t* err) {
  Map map = Decode(state);
  std::string answer = Apply(map, View(params->f1.ptr, params->f1.len));
  ret->f0 = Encode(map);
  ret->f1.f0 = {true, Bytes(answer)};
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}

}  // extern "C"
