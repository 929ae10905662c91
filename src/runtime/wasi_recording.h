// WASI 0.2 for an actor granted it ([[handler]] type = "wasi"): the hooks that answer its
// clocks and random bytes and take its output (engine/wasi.h), each recorded in the chain
// as an event like the actor's other host inputs, so that a replay answers from the
// recording. The environment holds only the variables `allowed_vars` names (those set on
// the host), recorded once per instance. stdout and stderr are the actor's log (bounded per
// turn like runtime.log). Sockets are refused, each refusal recorded; no directory is
// preopened, and stdin is empty.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/wasi.h"
#include "runtime/actor_context.h"
#include "runtime/permissions.h"

namespace theater {

// Event types ("…/now" and the like: one per input).
inline constexpr char kWasiEnvironment[] = "wasi:cli/environment";
inline constexpr char kWasiWallClock[] = "wasi:clocks/wall-clock/now";
inline constexpr char kWasiMonotonicClock[] = "wasi:clocks/monotonic-clock/now";
inline constexpr char kWasiRandom[] = "wasi:random/random/get-random-bytes";
inline constexpr char kWasiStdout[] = "wasi:cli/stdout/write";
inline constexpr char kWasiStderr[] = "wasi:cli/stderr/write";
inline constexpr char kWasiSocketRefused[] = "wasi:sockets/refused";

using Environment = std::vector<std::pair<std::string, std::string>>;

// The variables of the host's environment that the grant's `allowed_vars` names.
Environment WasiEnvironment(const Permissions& permissions);
// The event that records it: {"result": [[name, value], ...]}; and back.
ordered_json EnvironmentToJson(const Environment& env);
Environment EnvironmentFromJson(const ordered_json& data);

// Hooks that read the real clocks and OpenSSL's generator and record each answer in
// `actor`'s chain (it outlives the instance). The environment is `env`.
WasiHooks LiveWasiHooks(ActorContext& actor, Environment env);

}  // namespace theater
