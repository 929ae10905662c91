// theater:simple/timing: now, sleep, deadline. Times are host inputs: each value handed to
// the actor is recorded in its chain (and fed back on replay).
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineTimingInterface(Engine& engine);

}  // namespace theater::host
