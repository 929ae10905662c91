#include "cluster/manifest_wire.h"

namespace theater::cluster {

using ojson = nlohmann::ordered_json;

namespace {

ojson Binary(const Bytes& b) { return ojson::binary_t(std::vector<uint8_t>(b.begin(), b.end())); }
Bytes FromBinary(const ojson& j) {
  const auto& b = j.get_binary();
  return Bytes(b.begin(), b.end());
}

}  // namespace

Result<ojson> ManifestToWire(const Manifest& m) {
  if (m.component_path.empty())
    return Status::Error(m.file.string() + ": a component in the content store (" + m.component +
                         ") cannot be started on another node");
  ojson handlers = ojson::array();
  for (const HandlerConfig& h : m.handlers) handlers.push_back({{"type", h.type}, {"settings", ojson(h.settings)}});
  ojson policies = ojson::array();
  for (const PermissionPolicy& p : m.permission_policies)
    policies.push_back({{"handler", p.handler}, {"type", p.type}, {"settings", ojson(p.settings)}});
  const ActorLimits& l = m.limits;
  ojson w = {{"file", m.file.string()},
             {"base_dir", m.base_dir.string()},
             {"name", m.name},
             {"version", m.version},
             {"component", m.component},
             {"component_path", m.component_path.string()},
             {"save_chain", m.save_chain},
             {"node", m.node},
             {"handlers", std::move(handlers)},
             {"policies", std::move(policies)},
             {"limits",
              {l.fuel_per_call, l.call_timeout_ms, l.max_memory_bytes, l.max_table_elements, l.max_instances,
               l.max_log_bytes_per_turn, l.max_chain_bytes}},
             {"named_by_actor", m.named_by_actor}};
  if (m.description) w["description"] = *m.description;
  if (m.init_state) w["init_state"] = Binary(*m.init_state);
  if (m.component_bytes) w["component_bytes"] = Binary(*m.component_bytes);
  return w;
}

Result<Manifest> ManifestFromWire(const ojson& w) {
  try {
    Manifest m;
    m.file = w.at("file").get<std::string>();
    m.base_dir = w.at("base_dir").get<std::string>();
    m.name = w.at("name").get<std::string>();
    m.version = w.at("version").get<std::string>();
    m.component = w.at("component").get<std::string>();
    m.component_path = w.at("component_path").get<std::string>();
    m.save_chain = w.at("save_chain").get<bool>();
    m.node = w.at("node").get<std::string>();
    for (const auto& h : w.at("handlers"))
      m.handlers.push_back({h.at("type").get<std::string>(), nlohmann::json::parse(h.at("settings").dump())});
    for (const auto& p : w.at("policies"))
      m.permission_policies.push_back(
          {p.at("handler").get<std::string>(), p.at("type").get<std::string>(), nlohmann::json::parse(p.at("settings").dump())});
    const auto& l = w.at("limits");
    if (!l.is_array() || l.size() != 7) return Status::Error("manifest: limits: 7 numbers expected");
    m.limits = {l[0].get<uint64_t>(), l[1].get<uint64_t>(), l[2].get<uint64_t>(), l[3].get<uint64_t>(),
                l[4].get<uint64_t>(), l[5].get<uint64_t>(), l[6].get<uint64_t>()};
    m.named_by_actor = w.at("named_by_actor").get<bool>();
    if (w.contains("description")) m.description = w["description"].get<std::string>();
    if (w.contains("init_state")) m.init_state = FromBinary(w["init_state"]);
    if (w.contains("component_bytes")) m.component_bytes = std::make_shared<const Bytes>(FromBinary(w["component_bytes"]));
    // A manifest an actor named runs the bytes that were read within its parent's reach.
    if (m.named_by_actor && !m.component_bytes) return Status::Error("manifest: the component's bytes are missing");
    return m;
  } catch (const std::exception& e) {
    return Status::Error(std::string("manifest: ") + e.what());
  }
}

ojson PermissionsToWire(const Permissions& p) {
  ojson w = ojson::object();
  for (const auto& [handler, settings] : p.grants()) w[handler] = ojson::parse(settings.dump());
  return w;
}

Result<Permissions> PermissionsFromWire(const ojson& w) {
  if (!w.is_object()) return Status::Error("permissions: an object expected");
  std::map<std::string, nlohmann::json> grants;
  for (const auto& [handler, settings] : w.items()) grants[handler] = nlohmann::json::parse(settings.dump());
  return Permissions::FromGrants(std::move(grants));
}

}  // namespace theater::cluster
