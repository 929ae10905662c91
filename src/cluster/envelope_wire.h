// An Envelope as it travels between nodes: the fields a message to an actor carries (its
// kind, payload, request or channel id, cause and wait path), as a JSON map with binary
// values, for a sealed CBOR message.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "runtime/envelope.h"

namespace theater::cluster {

// Only messages an actor sends to another (send, request, channel open/message/close)
// travel: notices about children and export calls stay on their node.
bool Travels(Envelope::Kind kind);
nlohmann::ordered_json EnvelopeToWire(const Envelope& envelope);
// The envelope, or what is wrong with the wire form (a kind that does not travel, a field
// of the wrong type).
Result<Envelope> EnvelopeFromWire(const nlohmann::ordered_json& wire);

}  // namespace theater::cluster
