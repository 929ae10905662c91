#include "host/runtime_interface.h"

#include "chain/event.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

Out Log(ActorContext& actor, Args& args) {
  actor.Log(args.at(0).as_string());
  return std::optional<Value>();
}

Out GetState(ActorContext& actor, Args&) {
  return std::optional<Value>(Value::BytesValue(actor.state().value_or(Bytes())));
}

// chain { events: list<meta-event { hash: u64, event: event { event-type, parent: option<u64>, data } }> }
Out GetChain(ActorContext& actor, Args&) {
  ValueList events;
  events.reserve(actor.chain().size());
  for (const ChainEvent& e : actor.chain().events()) {
    Value event = Value::Record({
        {"event-type", Value::String(e.type)},
        {"parent", e.parent ? Value::Some(Value::U64(ShortHash(*e.parent))) : Value::None()},
        {"data", Value::BytesValue(e.data)},
    });
    events.push_back(Value::Record({{"hash", Value::U64(ShortHash(e.hash))}, {"event", std::move(event)}}));
  }
  return std::optional<Value>(Value::Record({{"events", Value::List(std::move(events))}}));
}

// The chain is already in the chain: record how much of it was handed out, not a copy.
ordered_json SummarizeChain(const std::optional<Value>& result) {
  const Value& events = result->fields().at(0).value;
  ordered_json out = {{"events", events.items().size()}};
  if (!events.items().empty()) out["head_short_hash"] = events.items().back().fields().at(0).value.as_unsigned();
  return out;
}

Out Shutdown(ActorContext& actor, Args& args) {
  std::optional<Bytes> data;
  if (args.at(0).has_payload()) data = args[0].payload().as_bytes();
  actor.RequestShutdown(std::move(data));
  return std::optional<Value>(Value::Ok());
}

}  // namespace

Status DefineRuntimeInterface(Engine& engine) {
  THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, kRuntimeInterface, "log", "func(string)", Log, nullptr,
                                              [](ActorContext& actor, const Args& args) {
                                                return actor.ChargeLog(args.at(0).as_string().size());
                                              }));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kRuntimeInterface, "get-state", "func() -> list<u8>", GetState));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, kRuntimeInterface, "get-chain",
      "func() -> record{events: list<record{hash: u64, event: record{event-type: string, parent: option<u64>, "
      "data: list<u8>}}>}",
      GetChain, SummarizeChain));
  return DefineActorFunction(engine, kRuntimeInterface, "shutdown", "func(option<list<u8>>) -> result<_, string>",
                             Shutdown);
}

}  // namespace theater::host
