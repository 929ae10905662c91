// Re-export wasmtime's C API so that this crate's staticlib (libwasmtime.a) carries every
// symbol, and add the few entry points Theater needs that the C API lacks. These are the
// only Rust functions of the project; their C declarations are in src/engine/shim.h.
pub use wasmtime_c_api::*;

pub mod fast;
pub mod wasi;

use wasmtime_c_api::wasmtime::StoreLimitsBuilder;

/// Like `wasmtime_store_limiter`, but a failed `memory.grow` / `table.grow` traps instead
/// of returning -1, so that a memory bomb ends as a classified "out of memory" failure
/// ("forcing trap when growing memory ...") rather than looping on failed grows.
/// Call `wasmtime_store_limiter` first (it installs the limiter that reads these limits).
/// Negative values keep wasmtime's default (unlimited, or 10,000 for the counts).
#[unsafe(no_mangle)]
pub extern "C" fn theater_context_set_limits(
    mut context: WasmtimeStoreContextMut<'_>,
    memory_size: i64,
    table_elements: i64,
    instances: i64,
    tables: i64,
    memories: i64,
) {
    let mut limits = StoreLimitsBuilder::new().trap_on_grow_failure(true);
    if memory_size >= 0 {
        limits = limits.memory_size(memory_size as usize);
    }
    if table_elements >= 0 {
        limits = limits.table_elements(table_elements as usize);
    }
    if instances >= 0 {
        limits = limits.instances(instances as usize);
    }
    if tables >= 0 {
        limits = limits.tables(tables as usize);
    }
    if memories >= 0 {
        limits = limits.memories(memories as usize);
    }
    context.data_mut().store_limits = limits.build();
}
