// engine-internal: C declarations of the functions Theater adds to wasmtime's C API in its
// wrapper crate (third_party/wasmtime-shim/src/).
#pragma once

#include <wasmtime.h>

extern "C" {
// Store limits whose failed grows trap ("forcing trap when growing memory ..."), so memory
// bombs are classified as out-of-memory. Call after wasmtime_store_limiter. Negative = default.
void theater_context_set_limits(wasmtime_context_t* context, int64_t memory_size, int64_t table_elements,
                                int64_t instances, int64_t tables, int64_t memories);

// ---- Typed calls for the contract's byte-carrying signatures (fast.rs) ----
// One value of a flat argument or result list; the layout rules are in fast.rs.
typedef struct theater_slot {
  uint64_t present;     // option: 0 = none
  uint64_t scalar;      // bool, integers; a result's flag (1 = ok)
  const uint8_t* data;  // string or list<u8>
  size_t len;
} theater_slot_t;

typedef struct theater_fast_call theater_fast_call_t;

// The typed shape of an export / a host function with this signature (as RenderFuncType
// writes it), or -1 when it has none (the C API's dynamic values are used instead).
int32_t theater_fast_export_shape(const char* signature, size_t len);
int32_t theater_fast_host_shape(const char* signature, size_t len);

// Starts a typed call; `args` and what they point to stay valid until the call is deleted.
// An error (the export's type does not fit the shape) starts nothing.
wasmtime_error_t* theater_fast_call_start(int32_t shape, const wasmtime_component_func_t* func,
                                          wasmtime_context_t* context, const theater_slot_t* args, size_t nargs,
                                          theater_fast_call_t** call_ret);
// True when the call has finished; false when it yielded or waits on a host result.
bool theater_fast_call_poll(theater_fast_call_t* call);
// A finished call's result slots (valid until it is deleted), or its error (the caller's).
wasmtime_error_t* theater_fast_call_results(theater_fast_call_t* call, const theater_slot_t** slots_ret,
                                            size_t* nslots_ret);
// Deletes a call; an unfinished one is abandoned.
void theater_fast_call_delete(theater_fast_call_t* call);

// A typed host function: arguments are valid during the callback; the result slots must
// stay valid until the continuation's finalizer runs.
typedef void (*theater_fast_host_callback_t)(void* env, wasmtime_context_t* context, const theater_slot_t* args,
                                             size_t nargs, theater_slot_t* results, size_t nresults,
                                             wasmtime_error_t** error_ret,
                                             wasmtime_async_continuation_t* continuation);
// ---- WASI 0.2 with Theater's hooks (wasi.rs) ----
typedef struct theater_wasi_hooks {
  void* data;
  int32_t (*write)(void* data, int32_t fd, const uint8_t* bytes, size_t len);  // 0, or refused
  uint64_t (*wall_now)(void* data);
  uint64_t (*monotonic_now)(void* data);
  void (*random)(void* data, uint8_t* out, size_t len);
  void (*socket_refused)(void* data, const uint8_t* what, size_t len);
} theater_wasi_hooks_t;
// Gives the store its WASI context (before instantiating a component that imports WASI);
// `env`: name, value, name, value, ... slots.
wasmtime_error_t* theater_context_set_wasi(wasmtime_context_t* context, const theater_wasi_hooks_t* hooks,
                                           const theater_slot_t* env, size_t env_len);
// From the C API (feature "wasi"): every WASI 0.2 interface, as sync host functions.
wasmtime_error_t* wasmtime_component_linker_add_wasip2(wasmtime_component_linker_t* linker);

wasmtime_error_t* theater_fast_linker_add_func(wasmtime_component_linker_instance_t* instance, const char* name,
                                               size_t name_len, int32_t shape, theater_fast_host_callback_t callback,
                                               void* data);
}
