// Every host interface this version of Theater implements, defined on an engine.
#pragma once

#include <vector>

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

// A host interface: the handler (manifest/handler_catalog.h) that grants it, and what
// defines its functions on an engine.
struct HostInterface {
  const char* handler;
  Status (*define)(Engine& engine);
};
// One per handler of the catalog that grants an interface (wasi is the engine's own).
const std::vector<HostInterface>& HostInterfaces();

Status DefineAllInterfaces(Engine& engine);

}  // namespace theater::host
