// engine-internal: RAII owners for wasmtime C API handles and small helpers around
// wasmtime_error_t. Every handle the engine creates lives in one of these.
#pragma once

#include <memory>
#include <string>

#include <wasmtime.h>

namespace theater::wt {

template <typename T, void (*Delete)(T*)>
struct Deleter {
  void operator()(T* p) const { if (p) Delete(p); }
};

using EnginePtr = std::unique_ptr<wasm_engine_t, Deleter<wasm_engine_t, wasm_engine_delete>>;
using StorePtr = std::unique_ptr<wasmtime_store_t, Deleter<wasmtime_store_t, wasmtime_store_delete>>;
using ComponentPtr =
    std::unique_ptr<wasmtime_component_t, Deleter<wasmtime_component_t, wasmtime_component_delete>>;
using LinkerPtr = std::unique_ptr<wasmtime_component_linker_t,
                                  Deleter<wasmtime_component_linker_t, wasmtime_component_linker_delete>>;
using LinkerInstancePtr =
    std::unique_ptr<wasmtime_component_linker_instance_t,
                    Deleter<wasmtime_component_linker_instance_t, wasmtime_component_linker_instance_delete>>;
using ExportIndexPtr =
    std::unique_ptr<wasmtime_component_export_index_t,
                    Deleter<wasmtime_component_export_index_t, wasmtime_component_export_index_delete>>;
using ComponentTypePtr =
    std::unique_ptr<wasmtime_component_type_t, Deleter<wasmtime_component_type_t, wasmtime_component_type_delete>>;
using FuncTypePtr = std::unique_ptr<wasmtime_component_func_type_t,
                                    Deleter<wasmtime_component_func_type_t, wasmtime_component_func_type_delete>>;
using ErrorPtr = std::unique_ptr<wasmtime_error_t, Deleter<wasmtime_error_t, wasmtime_error_delete>>;

// A value type owned by us (deleted on scope exit).
class OwnedValType {
 public:
  OwnedValType() { ty.kind = WASMTIME_COMPONENT_VALTYPE_BOOL; }
  ~OwnedValType() { wasmtime_component_valtype_delete(&ty); }
  OwnedValType(const OwnedValType&) = delete;
  OwnedValType& operator=(const OwnedValType&) = delete;
  wasmtime_component_valtype_t ty;
};

// A component item (import/export type) owned by us.
class OwnedItem {
 public:
  OwnedItem() = default;
  ~OwnedItem() { if (valid) wasmtime_component_item_delete(&item); }
  OwnedItem(const OwnedItem&) = delete;
  OwnedItem& operator=(const OwnedItem&) = delete;
  wasmtime_component_item_t item{};
  bool valid = false;
};

// The full message of an error (wasmtime renders the cause chain and a backtrace).
inline std::string ErrorMessage(const wasmtime_error_t* err) {
  wasm_name_t msg;
  wasmtime_error_message(err, &msg);
  std::string out(msg.data, msg.size);
  wasm_byte_vec_delete(&msg);
  return out;
}

// Takes ownership of `err` and returns its message ("" for no error).
inline std::string TakeErrorMessage(wasmtime_error_t* err) {
  if (!err) return {};
  ErrorPtr owned(err);
  return ErrorMessage(err);
}

}  // namespace theater::wt
