// engine-internal: C declarations of the functions Theater adds to wasmtime's C API in its
// wrapper crate (third_party/wasmtime-shim/src/lib.rs).
#pragma once

#include <wasmtime.h>

extern "C" {
// Store limits whose failed grows trap ("forcing trap when growing memory ..."), so memory
// bombs are classified as out-of-memory. Call after wasmtime_store_limiter. Negative = default.
void theater_context_set_limits(wasmtime_context_t* context, int64_t memory_size, int64_t table_elements,
                                int64_t instances, int64_t tables, int64_t memories);
}
