// The commands about one actor that need nothing but the actor system: its status, state,
// manifest, events, inspection, verification, replay, an event found by hash. The server
// runs them for its clients, and for other nodes of a cluster that ask about an actor this
// node runs (so they live apart from any connection).
#pragma once

#include <nlohmann/json.hpp>

#include "server/protocol.h"

namespace theater::server {

class Server;

// True for the commands QueryActor answers.
bool IsActorQuery(CommandKind kind);
// The response to `c` (about the actor c.id), bytes as base64 or arrays.
json QueryActor(Server& server, const Command& c, bool base64);
// Stops, terminates or restarts c.id and waits (up to 10 s, on this thread) until it is
// done: for another node's client, which has no connection here to be answered on later.
json ControlActorAndWait(Server& server, const Command& c);

}  // namespace theater::server
