// Chain events as the protocol shows them.
#pragma once

#include "chain/event.h"
#include "server/protocol.h"

namespace theater::server {

// {"seq","type","timestamp_ms","hash","parent","data" (decoded, readable),"data_cbor" (hex:
// with it a client can recompute the hash, docs/chain-format.md)}
json EventToJson(const ChainEvent& event);

}  // namespace theater::server
