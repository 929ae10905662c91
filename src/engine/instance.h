// An instance of a component in its own store: one per actor. Calls are sequential.
// After any failed call the store is poisoned (wasmtime refuses re-entry): the owner
// creates a new Instance to go on.
//
// Calls run asynchronously on a wasmtime fiber: StartCall() returns a PendingCall that the
// owner polls. A poll runs the call until it finishes, uses up its time slice (it yields,
// so other actors get the thread), or waits for a host function's later result (a HostOp);
// then the instance's waker is called when the result arrives. Call() does all of this in
// one blocking call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "engine/component.h"
#include "engine/engine.h"
#include "engine/failure.h"
#include "engine/value.h"
#include "engine/wasi.h"

namespace theater {

struct InstanceLimits {
  uint64_t fuel_per_call = 0;       // 0 = unlimited
  uint64_t call_timeout_ms = 0;     // 0 = no deadline (includes time spent waiting)
  uint64_t max_memory_bytes = 0;    // 0 = unlimited
  uint64_t max_table_elements = 0;  // 0 = unlimited
  uint64_t max_instances = 0;       // 0 = wasmtime's default
};

// The value of a call, or why it failed.
class CallOutcome {
 public:
  CallOutcome(std::optional<Value> v) : v_(std::move(v)) {}  // NOLINT
  CallOutcome(Failure f) : v_(std::move(f)) {}                // NOLINT
  bool ok() const { return v_.index() == 0; }
  std::optional<Value>& value() { return std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<std::optional<Value>, Failure> v_;
};

class PendingCall;

class Instance {
 public:
  // Instantiates `component` in a new store. `host_data` is handed to every host function
  // this instance calls. Start functions run under the same limits as calls. A component
  // that imports WASI needs `wasi` (its hooks are kept for the instance's life); without
  // them it is refused, naming the import.
  static std::variant<std::unique_ptr<Instance>, Failure> Create(std::shared_ptr<Engine> engine,
                                                                 std::shared_ptr<const Component> component,
                                                                 const InstanceLimits& limits, void* host_data,
                                                                 const WasiHooks* wasi = nullptr);
  ~Instance();

  // Called (from any thread) when a call waiting on a HostOp can go on.
  void SetWaker(std::function<void()> waker);
  // Makes the running call (if any) fail as `terminated` at its next time-slice check.
  void RequestTermination();

  // True when `interface#function` is exported.
  bool HasExport(std::string_view interface, std::string_view function);
  // The export's signature rendered as WIT-like text (without parameter names), or nullopt.
  std::optional<std::string> ExportSignature(std::string_view interface, std::string_view function);

  // Starts a call of an export. When `expected_signature` is given, a different signature
  // fails as type-mismatch before anything runs. One call at a time.
  std::variant<std::unique_ptr<PendingCall>, Failure> StartCall(std::string_view interface,
                                                                std::string_view function,
                                                                std::span<const Value> args,
                                                                std::string_view expected_signature = {});
  // The same, taking the arguments over (no copy of a large state).
  std::variant<std::unique_ptr<PendingCall>, Failure> StartCall(std::string_view interface,
                                                                std::string_view function, ValueList&& args,
                                                                std::string_view expected_signature = {});
  // StartCall, then poll until the call is done, sleeping while it waits on host results.
  CallOutcome Call(std::string_view interface, std::string_view function, std::span<const Value> args,
                   std::string_view expected_signature = {});

  bool poisoned() const;
  uint64_t fuel_used_last_call() const;

  struct Impl;

 private:
  explicit Instance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PendingCall {
 public:
  enum class Progress {
    kDone,     // TakeOutcome() has the result
    kYielded,  // its time slice is over: poll again when it is this actor's turn again
    kBlocked,  // waiting for a host result: poll again after the waker was called
  };
  ~PendingCall();  // a call dropped before it is done is abandoned (the store is poisoned)
  Progress Poll();
  CallOutcome TakeOutcome();
  const std::string& function() const { return function_; }

  struct State;

 private:
  friend class Instance;
  PendingCall(std::unique_ptr<State> state, std::string function);
  std::unique_ptr<State> state_;
  std::string function_;
};

}  // namespace theater
