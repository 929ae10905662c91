// The operations of theater:simple/supervisor, for the actor whose turn calls them. A
// parent may act only on its own children.
#pragma once

#include <optional>
#include <string>

#include "runtime/actor_context.h"

namespace theater::supervision {

// result<string, string>: the child's id. `manifest` was resolved from what the actor
// gave (host/child_manifest.h). With `call_init` false the child resumes with `state`
// instead of calling init.
Value Spawn(ActorContext& parent, Manifest manifest, std::optional<Bytes> state, bool call_init);
Value ListChildren(ActorContext& parent);                             // list<string>
Value StopChild(ActorContext& parent, const std::string& child);     // result<_, string>
Value RestartChild(ActorContext& parent, const std::string& child);  // result<_, string>
Value GetChildState(ActorContext& parent, const std::string& child); // result<option<list<u8>>, string>
Value GetChildEvents(ActorContext& parent, const std::string& child);  // result<list<chain-event>, string>

}  // namespace theater::supervision
