// The actor system's outside: who takes part in it without being an actor. A client of the
// server can be a participant of a channel (an OutsideEndpoint), and can watch an actor's
// chain as it grows (an EventObserver). Both are called on runtime threads and must be
// quick: they hand their work to someone else (the server's connection) and return.
#pragma once

#include <functional>
#include <string>

#include "chain/event.h"
#include "runtime/envelope.h"

namespace theater {

// A channel participant outside the system. Its id ("outside-<uuid>") stands in the
// channel's participant list where an actor id would.
class OutsideEndpoint {
 public:
  virtual ~OutsideEndpoint() = default;
  // A kChannelMessage or kChannelClose for this participant (any thread).
  virtual void Deliver(Envelope envelope) = 0;
};

inline constexpr std::string_view kOutsidePrefix = "outside-";
inline bool IsOutsideId(std::string_view id) { return id.substr(0, kOutsidePrefix.size()) == kOutsidePrefix; }

// Sees each event of an actor's chain as it is recorded: live, not an acknowledgement
// that the event is on disk yet (it is, a few milliseconds later, or before any effect
// of its turn leaves the actor).
using EventObserver = std::function<void(const std::string& actor_id, const ChainEvent& event)>;

}  // namespace theater
