#include "runtime/contract.h"

#include "manifest/handler_catalog.h"

namespace theater::contract {

static std::string_view Unversioned(std::string_view interface) {
  // Imports may carry a version ("theater:simple/runtime@0.1.0").
  size_t at = interface.find('@');
  return at == std::string_view::npos ? interface : interface.substr(0, at);
}

bool IsTypesOnly(std::string_view interface) {
  interface = Unversioned(interface);
  for (const auto& types : TypesOnlyInterfaces())
    if (interface == types) return true;
  return false;
}

std::optional<std::string> HandlerForInterface(std::string_view interface) {
  if (IsTypesOnly(interface)) return std::string();
  // WASI 0.2 (any 0.2.x): wasmtime-wasi's, with Theater's hooks (engine/wasi.h). Not
  // wasi:http: the network is the http-client handler's.
  if (interface.rfind("wasi:", 0) == 0 && interface.rfind("wasi:http/", 0) != 0) return std::string("wasi");
  for (const auto& spec : HandlerCatalog())
    if (!spec.interface.empty() && spec.interface == Unversioned(interface)) return spec.type;
  return std::nullopt;
}

}  // namespace theater::contract
