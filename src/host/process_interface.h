// theater:simple/process: programs the manifest's `process` handler allows
// (allowed_programs, exact names; none listed: nothing may run), started without a shell in
// their own process group, their output handed to the actor's process-handlers exports.
// An actor sees its own process numbers (1, 2, ...), never host pids, and can signal only
// what it started. Every call and every piece of output is recorded; replay starts nothing.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineProcessInterface(Engine& engine);

}  // namespace theater::host
