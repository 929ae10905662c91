// theater:simple/http-framework: HTTP (and WebSocket) servers run by the host for an
// actor, which answers through its theater:simple/http-handlers exports. Servers, handlers,
// routes and middleware belong to the actor (ids count per actor) and end with it: the
// servers close when the actor stops, fails or restarts. Every call is recorded by the
// binder; every request is a recorded export call. docs/host-interfaces.md has the rules.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineHttpFrameworkInterface(Engine& engine);

}  // namespace theater::host
