#include "host/supervisor_interface.h"

#include "host/child_manifest.h"
#include "runtime/contract.h"
#include "runtime/host_binding.h"
#include "runtime/supervisor_ops.h"

namespace theater::host {
namespace {

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

std::optional<Value> Some(Value v) { return std::optional<Value>(std::move(v)); }

// spawn and resume: the manifest is resolved here, where the files it names are checked
// against what the parent may reach.
Out SpawnFrom(ActorContext& a, Args& args, bool call_init);

std::optional<Bytes> OptionalBytes(Value& v) {
  if (!v.has_payload()) return std::nullopt;
  return std::move(v.payload().as_bytes());
}

// A chain's events as the contract's chain-event records.
ordered_json SummarizeEvents(const std::optional<Value>& result) {
  if (!result || !result->is_ok() || !result->has_payload()) return result ? ValueToJson(*result) : nullptr;
  return {{"ok", {{"events", result->payload().items().size()}}}};
}

Out SpawnFrom(ActorContext& a, Args& args, bool call_init) {
  auto manifest = ResolveChildManifest(a, args.at(0).as_string());
  if (!manifest.ok()) return Some(Value::Err(Value::String(manifest.error())));
  return Some(supervision::Spawn(a, std::move(*manifest), OptionalBytes(args.at(1)), call_init));
}

}  // namespace

Status DefineSupervisorInterface(Engine& engine) {
  const std::string iface(contract::kSupervisor);
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, iface, "spawn", "func(string, option<list<u8>>) -> result<string, string>",
      [](ActorContext& a, Args& args) -> Out { return SpawnFrom(a, args, true); }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, iface, "resume", "func(string, option<list<u8>>) -> result<string, string>",
      [](ActorContext& a, Args& args) -> Out { return SpawnFrom(a, args, false); }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, iface, "list-children", "func() -> list<string>",
                                              [](ActorContext& a, Args&) -> Out { return Some(supervision::ListChildren(a)); }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, iface, "stop-child", "func(string) -> result<_, string>",
      [](ActorContext& a, Args& args) -> Out { return Some(supervision::StopChild(a, args.at(0).as_string())); }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, iface, "restart-child", "func(string) -> result<_, string>",
      [](ActorContext& a, Args& args) -> Out { return Some(supervision::RestartChild(a, args.at(0).as_string())); }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, iface, "get-child-state", "func(string) -> result<option<list<u8>>, string>",
      [](ActorContext& a, Args& args) -> Out { return Some(supervision::GetChildState(a, args.at(0).as_string())); }));
  return DefineActorFunction(
      engine, iface, "get-child-events",
      "func(string) -> result<list<record{hash: list<u8>, parent-hash: option<list<u8>>, event-type: string, "
      "data: list<u8>, timestamp: u64, description: option<string>}>, string>",
      [](ActorContext& a, Args& args) -> Out { return Some(supervision::GetChildEvents(a, args.at(0).as_string())); },
      SummarizeEvents);
}

}  // namespace theater::host
