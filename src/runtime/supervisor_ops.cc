#include "runtime/supervisor_ops.h"

#include "runtime/actor_system.h"

namespace theater::supervision {
namespace {

Value Err(const std::string& why) { return Value::Err(Value::String(why)); }

// The manifest TOML at a store:// reference. The parent must be allowed the store as the
// store handler allows it (it created it, or its `stores` setting lists it): reading a
// manifest is reading the store. A refusal is recorded.
Result<std::string> ManifestFromStore(ActorContext& parent, const std::string& reference) {
  auto ref = ParseStoreReference(reference);
  if (!ref.ok()) return ref.status();
  auto store = parent.system().content_store();
  if (!store.ok()) return Status::Error(reference + ": " + store.error());
  auto owner = (*store)->Owner(ref->store_id);
  if (!owner.ok()) return Status::Error(reference + ": " + owner.error());
  bool granted = *owner == parent.id();
  if (const nlohmann::json* s = parent.permissions().Settings("store"); !granted && s && s->contains("stores"))
    for (const auto& id : (*s)["stores"]) granted = granted || (id.is_string() && id.get<std::string>() == ref->store_id);
  if (!granted) {
    std::string why = reference + ": store " + ref->store_id +
                      " is neither this actor's nor in the `stores` setting of its store handler";
    parent.Deny(why);
    return Status::Error(why);
  }
  auto bytes = (*store)->Read(reference);
  if (!bytes.ok()) return bytes.status();
  return ToString(*bytes);
}

// A manifest given to spawn: a store:// reference, inline TOML when it has a line break or
// an `=`, else a path.
Result<Manifest> ResolveManifest(ActorContext& parent, const std::string& text) {
  std::filesystem::path base = std::filesystem::absolute(parent.manifest().file).parent_path();
  if (IsStoreReference(text)) {
    auto toml = ManifestFromStore(parent, text);
    if (!toml.ok()) return toml.status();
    // Relative paths in it are taken from the parent's folder (a store has no folders).
    return ParseManifest(*toml, base, text);
  }
  if (text.find('\n') != std::string::npos || text.find('=') != std::string::npos)
    return ParseManifest(text, base, "inline manifest");
  std::filesystem::path path = text;
  return LoadManifest(path.is_absolute() ? path : base / path);
}

}  // namespace

Value Spawn(ActorContext& parent, const std::string& text, std::optional<Bytes> state, bool call_init) {
  auto manifest = ResolveManifest(parent, text);
  if (!manifest.ok()) return Err(manifest.error());
  auto id = parent.system().SpawnChild(parent.id(), std::move(*manifest), std::move(state), call_init);
  if (!id.ok()) return Err(id.error());
  return Value::Ok(Value::String(*id));
}

Value ListChildren(ActorContext& parent) {
  ValueList ids;
  for (const auto& id : parent.system().ChildrenOf(parent.id())) ids.push_back(Value::String(id));
  return Value::List(std::move(ids));
}

Value StopChild(ActorContext& parent, const std::string& child) {
  Status s = parent.system().StopChild(parent.id(), child);
  return s.ok() ? Value::Ok() : Err(s.message());
}

Value RestartChild(ActorContext& parent, const std::string& child) {
  Status s = parent.system().RestartChild(parent.id(), child);
  return s.ok() ? Value::Ok() : Err(s.message());
}

Value GetChildState(ActorContext& parent, const std::string& child) {
  if (!parent.system().IsChildOf(child, parent.id())) return Err("actor " + child + " is not a child of this actor");
  auto info = parent.system().Info(child);
  if (!info.ok()) return Err(info.error());
  return Value::Ok(Value::OptionalBytes(info->state));
}

Value GetChildEvents(ActorContext& parent, const std::string& child) {
  if (!parent.system().IsChildOf(child, parent.id())) return Err("actor " + child + " is not a child of this actor");
  auto events = parent.system().Events(child);
  if (!events.ok()) return Err(events.error());
  ValueList list;
  for (const ChainEvent& e : *events) {
    list.push_back(Value::Record({
        {"hash", Value::BytesValue(Bytes(e.hash.begin(), e.hash.end()))},
        {"parent-hash", e.parent ? Value::Some(Value::BytesValue(Bytes(e.parent->begin(), e.parent->end()))) : Value::None()},
        {"event-type", Value::String(e.type)},
        {"data", Value::BytesValue(e.data)},
        {"timestamp", Value::U64(e.timestamp_ms)},
        {"description", Value::None()},
    }));
  }
  return Value::Ok(Value::List(std::move(list)));
}

}  // namespace theater::supervision
