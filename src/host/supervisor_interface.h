// theater:simple/supervisor: spawning and managing children. The work is done by
// runtime/supervisor_ops; this file binds it to the contract.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineSupervisorInterface(Engine& engine);

}  // namespace theater::host
