// theater:simple/environment: get-var, list-vars, exists. An actor sees only the host
// variables its manifest names (`allowed_vars`, exact names; `allowed_prefixes`) and that
// are not in `denied_vars` (denied wins); with neither allowed_* setting it sees none.
// A hidden variable looks absent to the actor, and its call's event carries "denied".
// Values are read from the process environment at call time and recorded, so replay
// never reads the environment.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineEnvironmentInterface(Engine& engine);

}  // namespace theater::host
