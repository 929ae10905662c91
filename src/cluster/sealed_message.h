// Node-to-node messages: a JSON map in CBOR, sealed with HMAC-SHA256 under the cluster's
// secret so that a node takes messages only from other nodes of its cluster, even on a
// NATS server that others can publish to. The MAC covers the subject the message was
// sent to (a message is not valid on another subject) and a timestamp (a recorded
// message is not valid for long).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"

namespace theater::cluster {

using json = nlohmann::ordered_json;

// Replies to NATS requests go to inboxes the requester does not name: they are sealed for
// this subject instead.
inline constexpr const char* kReplySubject = "reply";
// How old a message may be (and how far ahead of this node's clock).
inline constexpr std::chrono::seconds kMaxMessageAge{60};

class MessageSeal {
 public:
  // The key is derived from `secret` (the cluster token).
  explicit MessageSeal(const std::string& secret);
  // 32 bytes of MAC, then the body ({..., "ts": now in ms}).
  Bytes Seal(const std::string& subject, json body) const;
  // The body, or why the message is refused (a bad MAC, too old, not CBOR). The MAC is
  // checked before the body is parsed.
  Result<json> Open(const std::string& subject, const Bytes& sealed) const;

 private:
  Bytes Mac(const std::string& subject, const uint8_t* body, size_t size) const;
  Bytes key_;
};

}  // namespace theater::cluster
