// A call of one of an actor's handler exports on behalf of a host interface: an HTTP
// request for `http-handlers`, a process's output for `process-handlers`. It waits in the
// actor's mailbox like a message, runs as one turn (recorded as "wasm/call" with its
// parameters and "wasm/result" with its results, so replay feeds it back like any other
// input), and `done` hears how it ended.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "engine/value.h"

namespace theater {

struct ExportCall {
  std::string interface;  // e.g. "theater:simple/http-handlers"
  std::string function;   // e.g. "handle-request"
  std::string signature;  // the export's type as the engine renders it
  ValueList params;       // the handler's parameter tuple (the state is added by the runtime)
  // Called exactly once, on any thread, once the call is enqueued: with the export's
  // results (after the turn's events are durable), or with why there are none (the actor
  // failed, stopped first, or could not write its chain). May be empty.
  std::function<void(Result<ValueList>)> done;
};

}  // namespace theater
