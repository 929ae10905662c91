#include "runtime/supervisor_ops.h"

#include "runtime/actor_system.h"

namespace theater::supervision {
namespace {

Value Err(const std::string& why) { return Value::Err(Value::String(why)); }

}  // namespace

Value Spawn(ActorContext& parent, Manifest manifest, std::optional<Bytes> state, bool call_init) {
  auto id = parent.system().SpawnChild(parent.id(), std::move(manifest), std::move(state), call_init);
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
  if (auto* router = parent.system().remote_router(); router && !parent.system().FindActor(child)) {
    auto state = router->StateOf(child);  // a child on another node
    if (!state.ok()) return Err(state.error());
    return Value::Ok(Value::OptionalBytes(*state));
  }
  auto info = parent.system().Info(child);
  if (!info.ok()) return Err(info.error());
  return Value::Ok(Value::OptionalBytes(info->state));
}

Value GetChildEvents(ActorContext& parent, const std::string& child) {
  if (!parent.system().IsChildOf(child, parent.id())) return Err("actor " + child + " is not a child of this actor");
  if (parent.system().remote_router() && !parent.system().FindActor(child))
    return Err("actor " + child + " runs on another node: its events are read there (theater events --server)");
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
