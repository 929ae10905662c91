#include "server/event_json.h"

#include "runtime/value_json.h"

namespace theater::server {

json EventToJson(const ChainEvent& e) {
  auto decoded = json::from_cbor(e.data, true, false);
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
