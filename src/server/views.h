// How the server shows chain events, actors and verifications in JSON: the shapes of the
// management protocol's responses (docs/protocol.md), in one place for every command and
// stream that carries them.
#pragma once

#include "chain/chain_image.h"
#include "chain/event.h"
#include "runtime/actor.h"
#include "runtime/actor_system.h"
#include "server/protocol.h"

namespace theater::server {

// A document as it goes out: compact, with any invalid UTF-8 replaced (actors' text).
std::string DumpJson(const json& j);

// {"seq","type","timestamp_ms","hash","parent","data" (decoded, readable),"data_cbor" (hex:
// with it a client can recompute the hash, docs/chain-format.md)}
json EventToJson(const ChainEvent& event);

// {"kind","function","message","backtrace"}
json FailureJson(const Failure& failure);

// One actor in ListActors and ActorChanged: {"id","name","status","parent","restarts",
// "events","mailbox","failure": null or {"kind","function","message"} (its last failure)}.
json ActorSummaryJson(const ActorInfo& info);
// Every actor of `system`, as ActorSummaryJson.
json ActorSummariesJson(ActorSystem& system);

// A chain's verification (VerifyActor; `theater chain verify --json` has the same fields).
json VerificationJson(const ChainVerification& v);

}  // namespace theater::server
