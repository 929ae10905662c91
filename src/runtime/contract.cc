#include "runtime/contract.h"

#include <map>

namespace theater::contract {

static std::string_view Unversioned(std::string_view interface) {
  // Imports may carry a version ("theater:simple/runtime@0.1.0").
  size_t at = interface.find('@');
  return at == std::string_view::npos ? interface : interface.substr(0, at);
}

bool IsTypesOnly(std::string_view interface) {
  interface = Unversioned(interface);
  return interface == "theater:simple/types" || interface == "theater:simple/http-types" ||
         interface == "theater:simple/websocket-types";
}

std::optional<std::string> HandlerForInterface(std::string_view interface) {
  static const std::map<std::string, std::string, std::less<>> kHandlers = {
      {"theater:simple/runtime", "runtime"},
      {"theater:simple/message-server-host", "message-server"},
      {"theater:simple/supervisor", "supervisor"},
      {"theater:simple/store", "store"},
      {"theater:simple/timing", "timing"},
      {"theater:simple/random", "random"},
      {"theater:simple/environment", "environment"},
      {"theater:simple/filesystem", "filesystem"},
      {"theater:simple/http-client", "http-client"},
      {"theater:simple/http-framework", "http-framework"},
      {"theater:simple/process", "process"},
  };
  if (IsTypesOnly(interface)) return std::string();
  // WASI 0.2 (any 0.2.x): wasmtime-wasi's, with Theater's hooks (engine/wasi.h). Not
  // wasi:http: the network is the http-client handler's.
  if (interface.rfind("wasi:", 0) == 0 && interface.rfind("wasi:http/", 0) != 0) return std::string("wasi");
  auto it = kHandlers.find(Unversioned(interface));
  if (it == kHandlers.end()) return std::nullopt;
  return it->second;
}

}  // namespace theater::contract
