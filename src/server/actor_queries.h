// The commands about one actor that need nothing but the actor system: its status, state,
// manifest, events, inspection, verification, replay, an event found by hash. The server
// runs them for its clients, and for other nodes of a cluster that ask about an actor this
// node runs (so they live apart from any connection).
#pragma once

#include <chrono>
#include <functional>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "runtime/actor_system.h"
#include "server/protocol.h"

namespace theater::server {

class Server;

// An error response of `kind`.
json Error(const char* kind, const std::string& message);
// What the actor system refused, as a response: an id no actor has is ActorNotFound,
// anything else ActorError.
json ActorError(const Status& s);

// A stop, terminate or restart of one actor, under way: it is over when done() holds,
// and answer(done) is the response (an error when it was not over in kControlWait).
struct ActorControl {
  std::function<bool()> done;
  std::function<json(bool done)> answer;
};
inline constexpr std::chrono::seconds kControlWait{10};
// Asks `system` to stop, terminate or restart c.id (c.kind says which).
Result<ActorControl> StartActorControl(ActorSystem& system, const Command& c);

// True for the commands QueryActor answers.
bool IsActorQuery(CommandKind kind);
// The response to `c` (about the actor c.id), bytes as base64 or arrays.
json QueryActor(Server& server, const Command& c, bool base64);
// Stops, terminates or restarts c.id and waits (up to 10 s, on this thread) until it is
// done: for another node's client, which has no connection here to be answered on later.
json ControlActorAndWait(Server& server, const Command& c);

}  // namespace theater::server
