// engine-internal: the state behind Engine, Component and Instance.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine/engine.h"
#include "engine/host_op.h"
#include "engine/slots.h"
#include "engine/stack_pool.h"
#include "engine/wasmtime_handles.h"

namespace theater {

struct HostEntry {
  std::string interface;
  std::string name;
  std::string qualified;  // "interface#name"
  std::string signature;  // "func(string)"
  HostFunction fn;          // exactly one of fn and async_fn is set
  AsyncHostFunction async_fn;
  // The typed shape of its signature (wrapper crate, fast.rs) and its slot types; -1 when
  // it goes through the C API's values.
  int32_t fast_shape = -1;
  std::optional<wt::SlotSignature> slots;
};

struct Engine::Impl {
  EngineOptions options;
  std::unique_ptr<wt::StackPool> stacks;  // outlives `engine`, whose stacks it hands out
  wt::EnginePtr engine;
  std::string fingerprint;  // engine version + settings that change compiled code
  // Components of kLargeComponentBytes or more (a language's runtime inside: CPython,
  // SpiderMonkey) run on a second engine that maps their initial memory copy-on-write
  // instead of copying it into every instance: 3x less memory and spawn time for them,
  // while small components keep one mapping less per instance (engine.cc has the numbers).
  // Made on first use, with its own linker.
  std::once_flag image_engine_once;
  wt::EnginePtr image_engine;
  std::atomic<wasm_engine_t*> image_engine_raw{nullptr};  // for the epoch ticker
  std::string image_fingerprint;

  std::jthread epoch_ticker;

  mutable std::mutex mu;  // guards everything below
  std::map<Hash, std::weak_ptr<const Component>> loaded;
  // LoadComponentFile's shortcut: a file whose size and time are unchanged is not read again.
  struct FileEntry {
    std::filesystem::file_time_type mtime;
    uintmax_t size;
    std::weak_ptr<const Component> component;
  };
  std::map<std::filesystem::path, FileEntry> files;
  Stats stats;
  std::deque<HostEntry> host_functions;  // stable addresses: the linker points into it
  std::set<std::string> interfaces;      // every defined interface (with functions or types only)
  wt::LinkerPtr linker;                  // built on first use, then frozen
  wt::LinkerPtr image_linker;            // the same, for image_engine

  // The engine a component runs on (Component::Impl::copy_on_write).
  wasm_engine_t* EngineFor(bool copy_on_write);
  // The linker with every defined host function, for that engine; built once.
  Result<const wasmtime_component_linker_t*> Linker(bool copy_on_write);
  // Every function the component imports from a defined interface must exist here with the
  // same signature.
  Status CheckImports(const Component& component);
};

struct Component::Impl {
  wt::ComponentPtr component;
  Hash sha256{};
  bool copy_on_write = false;  // runs on Engine::Impl::image_engine
  std::string origin;
  double load_ms = 0;
  std::vector<std::string> imports;
  std::vector<std::string> exports;
  std::vector<ImportedFunction> imported_functions;
  std::once_flag import_check_once;
  Status import_check;  // CheckImports' verdict, computed once per component
};

}  // namespace theater
