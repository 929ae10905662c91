// theater:simple/runtime: log, get-state, get-chain, shutdown.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

inline constexpr char kRuntimeInterface[] = "theater:simple/runtime";

Status DefineRuntimeInterface(Engine& engine);

}  // namespace theater::host
