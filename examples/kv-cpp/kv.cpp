// kv: a C++ actor holding a small key-value map in its state, written with the C++ SDK
// (sdk/cpp/theater.hpp).
//   handle-request  "set KEY VALUE" -> "ok"        "get KEY" -> the value, or "not found: KEY"
//                   "del KEY" -> "deleted"          "keys" -> the keys, comma separated
//   handle-send     the same commands, without an answer
// The state is the map as text, one "key=value" line per entry, so it reads well in the chain.
#include <map>
#include <string>
#include <string_view>

#include "theater.hpp"

namespace {

using Map = std::map<std::string, std::string>;

Map Decode(const theater::State& state) {
  Map map;
  if (!state) return map;
  std::string all = theater::ToString(*state);
  std::string_view text = all;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    size_t eq = line.find('=');
    if (eq != std::string_view::npos) map.emplace(line.substr(0, eq), line.substr(eq + 1));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return map;
}

theater::State Encode(const Map& map) {
  std::string text;
  for (const auto& [k, v] : map) text += k + "=" + v + "\n";
  return theater::ToBytes(text);
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

class Kv : public theater::Actor {
 public:
  theater::Status Init(theater::State& state, const std::string&) override {
    Map map = Decode(state);
    theater::Log("kv store ready with " + std::to_string(map.size()) + " keys");
    state = Encode(map);
    return {};
  }

  theater::Status HandleSend(theater::State& state, const theater::Bytes& message) override {
    Map map = Decode(state);
    std::string command = theater::ToString(message);
    theater::Log(command + " -> " + Apply(map, command));
    state = Encode(map);
    return {};
  }

  theater::Status HandleRequest(theater::State& state, const std::string&, const theater::Bytes& message,
                                theater::Response& response) override {
    Map map = Decode(state);
    response = theater::ToBytes(Apply(map, theater::ToString(message)));
    state = Encode(map);
    return {};
  }
};

}  // namespace

THEATER_ACTOR(Kv)
