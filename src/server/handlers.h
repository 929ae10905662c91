// The commands of the management protocol, run against the server's actor system: one
// table of handlers (handlers.cc). Each ends by calling connection->Finish() with its
// response, at once or later (a request waits for the actor's answer, a stop for the
// actor to finish) without holding a thread.
#pragma once

#include <memory>

#include "server/protocol.h"

namespace theater::server {

class Server;
class Connection;

void RunCommand(Server& server, const std::shared_ptr<Connection>& connection, Command command);
// True for the commands that run on the network thread (see handlers.cc).
bool RunsOnNetworkThread(CommandKind kind);
// StartActor on this server, with no connection to subscribe (another node's client).
json StartActorHere(Server& server, const Command& c);

}  // namespace theater::server
