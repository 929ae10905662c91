// Binds host functions to the engine so that every call is recorded in the calling actor's
// chain: an event "<interface>/<function>" with {"args": [...], "result": ...} (or
// {"args": [...], "error": "..."} when the host function failed). A call the function
// refused (ActorContext::Deny) also carries "denied": why.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "runtime/actor_context.h"

namespace theater {

using ActorFunction = std::function<Result<std::optional<Value>>(ActorContext& actor, std::vector<Value>& args)>;
// Turns a result into what the chain keeps, where the full value would be wasteful
// (get-chain returns the chain itself).
using ResultSummary = std::function<ordered_json(const std::optional<Value>& result)>;

// Checked before anything is recorded: when it fails, the call fails with its error and
// the event holds the size of the arguments ("args_bytes") instead of the arguments, so
// that a refused flood (a 16 MiB log line) does not reach the chain either.
// The size of a call's arguments as an "args_bytes" event records it (their CBOR encoding).
uint64_t ArgsBytes(const std::vector<Value>& args);
using ArgsCheck = std::function<Status(ActorContext& actor, const std::vector<Value>& args)>;

Status DefineActorFunction(Engine& engine, const std::string& interface, const std::string& function,
                           const std::string& signature, ActorFunction fn, ResultSummary summary = nullptr,
                           ArgsCheck check = nullptr);

// For host functions that record their own events (they need an event's hash before they
// act, to hand it on as a cause).
Status DefineSelfRecordingFunction(Engine& engine, const std::string& interface, const std::string& function,
                                   const std::string& signature, ActorFunction fn);
using AsyncActorFunction = std::function<Result<HostReturn>(ActorContext& actor, std::vector<Value>& args)>;
Status DefineAsyncActorFunction(Engine& engine, const std::string& interface, const std::string& function,
                                const std::string& signature, AsyncActorFunction fn);

}  // namespace theater
