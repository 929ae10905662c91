// engine-internal: conversion between Value and wasmtime's component values, and WIT-like
// rendering of component types (used to check export signatures against the contract).
#pragma once

#include <string>

#include <wasmtime.h>

#include "common/status.h"
#include "engine/value.h"

namespace theater::wt {

// Builds an owned wasmtime value (the caller deletes it, or hands it to wasmtime which
// takes ownership, as for host function results). Strings must be valid UTF-8: invalid
// text is refused here because wasmtime would abort the process on it.
Status ToWasmtime(const Value& v, wasmtime_component_val_t& out);

// Reads a wasmtime value of type `ty`. `list<u8>` becomes a Bytes value.
Value FromWasmtime(const wasmtime_component_val_t& v, const wasmtime_component_valtype_t& ty);

// "option<list<u8>>", "result<tuple<string>, string>", "record{hash: string}"...
std::string RenderType(const wasmtime_component_valtype_t& ty);
// "func(option<list<u8>>, tuple<string>) -> result<...>" (parameter names left out).
std::string RenderFuncType(const wasmtime_component_func_type_t* ty);

}  // namespace theater::wt
