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
#include "manifest/handler_catalog.h"

namespace theater::host {

const std::vector<HostInterface>& HostInterfaces() {
  static const std::vector<HostInterface> kInterfaces = {
      {"runtime", DefineRuntimeInterface},
      {"message-server", DefineMessageServerInterface},
      {"supervisor", DefineSupervisorInterface},
      {"store", DefineStoreInterface},
      {"timing", DefineTimingInterface},
      {"random", DefineRandomInterface},
      {"environment", DefineEnvironmentInterface},
      {"filesystem", DefineFilesystemInterface},
      {"http-client", DefineHttpClientInterface},
      {"http-framework", DefineHttpFrameworkInterface},
      {"process", DefineProcessInterface},
  };
  return kInterfaces;
}

Status DefineAllInterfaces(Engine& engine) {
  for (const auto& types : TypesOnlyInterfaces()) THEATER_RETURN_IF_ERROR(engine.DefineTypesOnlyInterface(types));
  for (const auto& i : HostInterfaces()) THEATER_RETURN_IF_ERROR(i.define(engine));
  return Status::Ok();
}

}  // namespace theater::host
