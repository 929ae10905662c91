// What travels through a mailbox: one message for one turn of the receiving actor.
#pragma once

#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/sha256.h"
#include "runtime/value_json.h"

namespace theater {

// The event that caused a message: the sender's host-call event (or, for a response, the
// responder's event), so a conversation can be followed from chain to chain.
struct Cause {
  std::string actor_id;
  Hash event{};
  ordered_json ToJson() const { return {{"actor", actor_id}, {"event", ToHex(event)}}; }
};

struct Envelope {
  enum class Kind { kInit, kSend, kRequest, kChannelOpen, kChannelMessage, kChannelClose };
  Kind kind = Kind::kSend;
  Bytes payload;
  std::string id;  // the request id (kRequest) or channel id (channel kinds)
  std::optional<Cause> cause;
};

}  // namespace theater
