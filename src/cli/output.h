// How the CLI prints: aligned human lines, or one JSON object per line with --json.
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "common/bytes.h"

namespace theater::cli {

class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  bool json() const { return json_; }

  // "label    text" for people, on one line: control characters in the text (an actor's
  // log line, a guest's error) are escaped, so that it can neither add lines nor send
  // escape sequences to the terminal.
  void Line(const std::string& label, const std::string& text) const {
    std::printf("%-9s %s\n", label.c_str(), EscapeForLog(text).c_str());
    std::fflush(stdout);
  }
  void Json(const nlohmann::ordered_json& j) const {
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  }

 private:
  bool json_;
};

// Bytes for people: the text as a quoted, escaped string when it is UTF-8, else 0x<hex>.
inline std::string Printable(const Bytes& b) {
  return IsValidUtf8(b) ? nlohmann::json(ToString(b)).dump() : "0x" + ToHex(b);
}

// Bytes for scripts: {"text": ... (when UTF-8), "hex": ...}.
inline nlohmann::ordered_json BytesJson(const Bytes& b) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (IsValidUtf8(b)) j["text"] = ToString(b);
  j["hex"] = ToHex(b);
  return j;
}

}  // namespace theater::cli
