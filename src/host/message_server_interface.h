// theater:simple/message-server-host: send, request, channels, and the requests an actor
// holds. The work is done by runtime/messaging; this file binds it to the contract.
#pragma once

#include "common/status.h"
#include "engine/engine.h"

namespace theater::host {

Status DefineMessageServerInterface(Engine& engine);

}  // namespace theater::host
