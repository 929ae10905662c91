// theater:simple/store: content-addressed stores (SHA-256) with labels, kept in the
// system's ContentStore (<data-dir>/store.db). An actor may use the stores it created with
// `new` and the ones its store handler lists in `stores`; any other store is refused (and
// the refusal recorded). Writes are bounded by the handler's `max_total_size` per store.
// Every call is recorded with its answer (contents included), so replay never opens the
// store.
#pragma once

#include <string>

#include "common/status.h"
#include "engine/engine.h"
#include "runtime/actor_context.h"
#include "storage/content_store.h"

namespace theater::host {

// The content store, when actor `a` may use `store_id`: it created it, or its store
// handler lists it in `stores`. Otherwise the refusal is recorded (ActorContext::Deny)
// and returned.
Result<ContentStore*> OpenGrantedStore(ActorContext& a, const std::string& store_id);

Status DefineStoreInterface(Engine& engine);

}  // namespace theater::host
