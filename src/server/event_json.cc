#include "server/event_json.h"

#include "chain/event_data.h"
#include "runtime/value_json.h"

namespace theater::server {

json EventToJson(const ChainEvent& e) {
  // Bounded: a chain read back from disk may have been tampered with (chain/event_data.h).
  auto decoded = DecodeEventData(e.data);
  json data = decoded.is_discarded() ? json{{"undecodable_hex", ToHex(e.data)}} : ReadableJson(decoded);
  return {{"seq", e.seq},
          {"type", e.type},
          {"timestamp_ms", e.timestamp_ms},
          {"hash", ToHex(e.hash)},
          {"parent", e.parent ? json(ToHex(*e.parent)) : json(nullptr)},
          {"data", std::move(data)},
          {"data_cbor", ToHex(e.data)}};
}

}  // namespace theater::server
