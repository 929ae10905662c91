#include "host/host_interfaces.h"

#include "host/environment_interface.h"
#include "host/filesystem_interface.h"
#include "host/http_framework_interface.h"
#include "host/http_client_interface.h"
#include "host/message_server_interface.h"
#include "host/process_interface.h"
#include "host/random_interface.h"
#include "host/runtime_interface.h"
#include "host/store_interface.h"
#include "host/supervisor_interface.h"
#include "host/timing_interface.h"

namespace theater::host {

Status DefineAllInterfaces(Engine& engine) {
  for (const char* types : {"theater:simple/types", "theater:simple/http-types", "theater:simple/websocket-types"})
    THEATER_RETURN_IF_ERROR(engine.DefineTypesOnlyInterface(types));
  THEATER_RETURN_IF_ERROR(DefineRuntimeInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineMessageServerInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineSupervisorInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineTimingInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineEnvironmentInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineFilesystemInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineHttpFrameworkInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineStoreInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineHttpClientInterface(engine));
  THEATER_RETURN_IF_ERROR(DefineProcessInterface(engine));
  return DefineRandomInterface(engine);
}

}  // namespace theater::host
