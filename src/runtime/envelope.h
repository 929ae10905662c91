// What travels through a mailbox: one message for one turn of the receiving actor.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/sha256.h"
#include "common/status.h"
#include "runtime/export_call.h"
#include "runtime/value_json.h"

namespace theater {

// The event that caused a message: the sender's host-call event (or, for a response, the
// responder's event), so a conversation can be followed from chain to chain.
struct Cause {
  std::string actor_id;
  Hash event{};
  ordered_json ToJson() const { return {{"actor", actor_id}, {"event", ToHex(event)}}; }
};

// Whoever waits to hear that a message is recorded in its receiver's chain (a durable
// send): told once the turn's "wasm/call" event, which carries the message, has been
// written out — or why not, when the message is dropped first (a full disk, the actor
// stopped with it still in its mailbox). The destructor makes sure nobody waits forever.
class RecordedAck {
 public:
  using Done = std::function<void(Status)>;
  explicit RecordedAck(Done done) : done_(std::move(done)) {}
  RecordedAck(const RecordedAck&) = delete;
  RecordedAck& operator=(const RecordedAck&) = delete;
  ~RecordedAck() { Tell(Status::Error("the message was dropped before it was recorded")); }
  void Tell(Status s) {
    if (auto done = std::exchange(done_, nullptr)) done(std::move(s));
  }

 private:
  Done done_;
};

// The actors that wait, each on the next, for a request (see Envelope::wait_path): a list
// shared from its newest link, so that each hop of a chain of requests adds one link
// instead of copying the whole path.
struct WaitLink {
  std::string actor;
  std::shared_ptr<const WaitLink> next;  // the actor that waits on this one, or null
};
using WaitPath = std::shared_ptr<const WaitLink>;

struct Envelope {
  enum class Kind {
    kInit, kSend, kRequest, kChannelOpen, kChannelMessage, kChannelClose,
    kChildError, kChildExit, kChildExternalStop,  // to a supervisor, about one of its children
    kExport,  // a handler export called for a host interface (see ExportCall)
  };
  Kind kind = Kind::kSend;
  Bytes payload;   // for kChildError: the error's data; for kChildExit: the exit data (if any)
  std::string id;  // the request id, channel id, or child id
  std::optional<Cause> cause;
  std::string error_type;   // kChildError: the wit-error-type case
  bool has_payload = true;  // kChildExit: whether exit data was given
  std::shared_ptr<ExportCall> export_call;  // kExport
  std::shared_ptr<RecordedAck> recorded;    // kSend: a durable send waits for its record
  // kRequest, in a cluster: the actors that wait for the request this one serves, the
  // sender first. A request to one of them closes a cycle: refused. Across nodes this is
  // how a cycle is seen, as no node holds the whole waits-for graph (on one node,
  // ActorSystem::EnterWait sees it, and this stays empty).
  WaitPath wait_path;
};

}  // namespace theater
