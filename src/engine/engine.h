// The Engine: one wasmtime engine per process, the compiled-component cache, the host
// functions every actor may be linked against, and the epoch ticker that enforces
// wall-clock deadlines. engine/ is the only part of Theater that talks to wasmtime.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/component.h"
#include "engine/host_op.h"
#include "engine/value.h"

namespace theater {

struct EngineOptions {
  // Where compiled components are cached (<sha256>-<engine fingerprint>.cwasm).
  // Empty: no disk cache, every load compiles.
  std::filesystem::path cache_dir;
  // Wasm stack for one call; deeper recursion fails as stack-overflow.
  size_t max_wasm_stack = 1 << 20;
  // Resolution of wall-clock deadlines, and the time slice after which a running call
  // yields its worker thread to other actors.
  std::chrono::milliseconds epoch_tick{5};
};

// A host function: receives the store's host data (set per instance) and the arguments,
// returns its result (none for functions without one). An error aborts the guest's call
// and is reported as a host-error failure.
using HostFunction =
    std::function<Result<std::optional<Value>>(void* host_data, std::vector<Value>& args)>;
// A host function that may return its result later (HostReturn::Later): the calling
// actor waits without holding a thread.
using AsyncHostFunction = std::function<Result<HostReturn>(void* host_data, std::vector<Value>& args)>;

class Engine {
 public:
  static Result<std::shared_ptr<Engine>> Create(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Compiles a component from binary (.wasm) or text (.wat) bytes, or loads the compiled
  // artifact from the cache. Components are also kept in memory by their hash.
  Result<std::shared_ptr<const Component>> LoadComponent(std::span<const uint8_t> bytes);
  Result<std::shared_ptr<const Component>> LoadComponentFile(const std::filesystem::path& path);

  // Registers `interface#name` (e.g. "theater:simple/runtime", "log") with its signature
  // as RenderFuncType writes it ("func(string)"). A component that imports the function
  // with another signature is refused before it runs. All definitions must happen before
  // the first instance is created.
  Status DefineFunction(const std::string& interface, const std::string& name, const std::string& signature,
                        HostFunction fn);
  Status DefineAsyncFunction(const std::string& interface, const std::string& name, const std::string& signature,
                             AsyncHostFunction fn);
  // An interface that only carries types (theater:simple/types): linked as an empty instance.
  Status DefineTypesOnlyInterface(const std::string& interface);
  // True when `interface` was defined (functions or types only).
  bool Provides(const std::string& interface) const;
  // Makes every running call yield its thread at its next check (a tick of the epoch,
  // ahead of time), so that a waiting actor gets a worker now. Their deadlines, which
  // follow the wall clock, do not change.
  void Preempt();
  // Every function the component imports from a defined interface exists there with the
  // signature it was defined with; otherwise the error names the first import that does
  // not fit. (Checked once per component; instantiation checks it again.)
  Status CheckImportSignatures(const Component& component);

  // Cache statistics, for tests and `--verbose`.
  struct Stats {
    uint64_t compiled = 0;         // components compiled from source
    uint64_t loaded_from_disk = 0; // compiled artifacts read from the cache
    uint64_t reused_in_memory = 0; // LoadComponent hits on the in-memory map
  };
  Stats stats() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace theater
