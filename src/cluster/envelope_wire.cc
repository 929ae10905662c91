#include "cluster/envelope_wire.h"

#include <algorithm>

namespace theater::cluster {

using json = nlohmann::ordered_json;
using K = Envelope::Kind;

bool Travels(Envelope::Kind kind) {
  return kind == K::kSend || kind == K::kRequest || kind == K::kChannelOpen || kind == K::kChannelMessage ||
         kind == K::kChannelClose;
}

json EnvelopeToWire(const Envelope& e) {
  json w = {{"k", static_cast<int>(e.kind)},
            {"p", json::binary_t(std::vector<uint8_t>(e.payload.begin(), e.payload.end()))},
            {"id", e.id}};
  if (e.cause)
    w["c"] = {{"a", e.cause->actor_id},
              {"e", json::binary_t(std::vector<uint8_t>(e.cause->event.begin(), e.cause->event.end()))}};
  if (e.wait_path) {  // oldest first
    std::vector<std::string> path;
    for (const WaitLink* link = e.wait_path.get(); link; link = link->next.get()) path.push_back(link->actor);
    std::reverse(path.begin(), path.end());
    w["w"] = std::move(path);
  }
  return w;
}

Result<Envelope> EnvelopeFromWire(const json& w) {
  try {
    Envelope e;
    int kind = w.at("k").get<int>();
    e.kind = static_cast<K>(kind);
    if (kind < 0 || !Travels(e.kind)) return Status::Error("message kind " + std::to_string(kind) + " does not travel");
    const auto& payload = w.at("p").get_binary();
    e.payload.assign(payload.begin(), payload.end());
    e.id = w.at("id").get<std::string>();
    if (w.contains("c")) {
      Cause cause;
      cause.actor_id = w["c"].at("a").get<std::string>();
      const auto& hash = w["c"].at("e").get_binary();
      if (hash.size() != cause.event.size()) return Status::Error("cause: an event hash of " + std::to_string(hash.size()) + " bytes");
      std::copy(hash.begin(), hash.end(), cause.event.begin());
      e.cause = std::move(cause);
    }
    if (w.contains("w"))
      for (auto& actor : w["w"].get<std::vector<std::string>>())
        e.wait_path = std::make_shared<const WaitLink>(WaitLink{std::move(actor), std::move(e.wait_path)});
    return e;
  } catch (const json::exception& ex) {
    return Status::Error(std::string("message: ") + ex.what());
  }
}

}  // namespace theater::cluster
