// theater:simple/random. Every value handed to the actor is recorded in its chain (and fed
// back on replay). With `seed` in the manifest the numbers are reproducible; without, they
// come from OpenSSL's generator.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineRandomInterface(Engine& engine);

}  // namespace theater::host
