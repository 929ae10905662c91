#include "host/host_interfaces.h"

#include "host/runtime_interface.h"

namespace theater::host {

Status DefineAllInterfaces(Engine& engine) {
  for (const char* types : {"theater:simple/types", "theater:simple/http-types", "theater:simple/websocket-types"})
    THEATER_RETURN_IF_ERROR(engine.DefineTypesOnlyInterface(types));
  return DefineRuntimeInterface(engine);
}

}  // namespace theater::host
