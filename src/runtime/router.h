// The seam between the runtime and other nodes (DESIGN.md: "Cluster on NATS behind a
// Router seam"). ActorSystem routes a message to an actor it does not run through the
// RemoteRouter it was given, if any: the single-node system has none, and an unknown id is
// "no actor with id ...". src/cluster/ implements it over NATS.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "runtime/envelope.h"

namespace theater {

// A place held in the mailbox of an actor on another node: as for a local actor, the
// place is taken before the sender records its event, and the message follows later.
// Destroyed without Commit, the place is given back.
class RemoteSlot {
 public:
  virtual ~RemoteSlot() = default;
  // Sends `envelope` into the place. A request's or channel open's answer comes back
  // through the RequestTable entry of the same id, as locally.
  virtual void Commit(Envelope envelope) = 0;
};

class RemoteRouter {
 public:
  virtual ~RemoteRouter() = default;
  // Holds a place in the mailbox of `to`, which this node does not run: an error that
  // names why not (no such actor on any node, a full mailbox, a node that does not answer).
  virtual Result<std::unique_ptr<RemoteSlot>> Reserve(const std::string& to, size_t message_bytes) = 0;
};

}  // namespace theater
