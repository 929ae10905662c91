// The seam between the runtime and other nodes (DESIGN.md: "Cluster on NATS behind a
// Router seam"). ActorSystem routes a message to an actor it does not run through the
// RemoteRouter it was given, if any: the single-node system has none, and an unknown id is
// "no actor with id ...". src/cluster/ implements it over NATS.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "manifest/manifest.h"
#include "runtime/envelope.h"
#include "runtime/permissions.h"

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

// What a supervisor hears when its child on another node has finished (see
// ActorSystem::OnActorFinished, which builds the same notices for a local child).
struct ChildNotice {
  std::string child;
  bool failed = false;           // kChildError: error_type and data
  std::string error_type;
  Bytes data;                    // the failure's data, or the exit data
  bool shutdown = false;         // kChildExit: it shut itself down
  bool has_payload = false;      // kChildExit: with exit data
  bool external_stop = false;    // kChildExternalStop: an operator stopped it
  bool parent_stopping = false;  // it went with its stopping parent: nothing to tell
  // Its node is lost (set by this node's cluster, never read from the wire): nothing can
  // restart it there, so no policy applies. Not told by the failure's text, which the
  // child's own error message could imitate.
  bool node_lost = false;
};

// What a parent can do to its child on another node.
enum class ChildControl { kStop, kTerminate, kRestart };

class RemoteRouter {
 public:
  virtual ~RemoteRouter() = default;
  // This node's name in the cluster.
  virtual const std::string& node_name() const = 0;
  // Holds a place in the mailbox of `to`, which this node does not run: an error that
  // names why not (no such actor on any node, a full mailbox, a node that does not answer).
  virtual Result<std::unique_ptr<RemoteSlot>> Reserve(const std::string& to, size_t message_bytes) = 0;

  // --- Supervision across nodes ---------------------------------------------------------
  // Starts a child of local actor `parent` on node `node`, with `permissions` (already
  // narrowed by the parent's): the child's id, or why not.
  virtual Result<std::string> SpawnChild(const std::string& node, const std::string& parent, const Manifest& manifest,
                                         const Permissions& permissions, std::optional<Bytes> state,
                                         bool call_init) = 0;
  // Tells `parent` (on another node) that its child on this node has finished.
  virtual void ChildFinished(const std::string& parent, const ChildNotice& notice) = 0;
  // Stops, terminates or restarts `child` (on another node) for its parent `parent`.
  virtual void Control(const std::string& parent, const std::string& child, ChildControl what) = 0;
  // The state of `child` on another node.
  virtual Result<std::optional<Bytes>> StateOf(const std::string& child) = 0;
};

}  // namespace theater
