// Every host interface this version of Theater implements, defined on an engine.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineAllInterfaces(Engine& engine);

}  // namespace theater::host
