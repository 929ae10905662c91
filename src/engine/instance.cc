#include "engine/instance.h"

#include <chrono>
#include <condition_variable>
#include <map>

#include "engine/engine_impl.h"
#include "engine/store_data.h"
#include "engine/shim.h"
#include "engine/slots.h"
#include "engine/value_convert.h"

namespace theater {

struct ExportEntry {
  wasmtime_component_func_t func;
  wt::FuncTypePtr type;
  std::string signature;
  // The typed shape of its signature (bytes in bulk, fast.rs) and its slot types; -1 when
  // the call goes through the C API's values.
  int32_t fast_shape = -1;
  std::optional<wt::SlotSignature> slots;
};

struct Instance::Impl {
  std::shared_ptr<Engine> engine;
  std::shared_ptr<const Component> component;
  InstanceLimits limits;
  std::unique_ptr<WasiHooks> wasi;  // the WASI context's hooks call these (outlive the store)
  StoreData data;
  wt::StorePtr store;  // declared after `data`: destroyed before it
  wasmtime_component_instance_t instance{};
  std::map<std::string, std::unique_ptr<ExportEntry>, std::less<>> exports;  // "iface#func"; null = missing
  bool poisoned = false;
  bool call_active = false;
  uint64_t fuel_used = 0;

  wasmtime_context_t* ctx() { return wasmtime_store_context(store.get()); }
  ExportEntry* Lookup(std::string_view interface, std::string_view function);
  uint64_t ArmLimits();
  Failure Classify(wasmtime_error_t* err, std::string function);
  // Polls `future` to the end, sleeping while it waits on host results.
  void Drive(wasmtime_call_future_t* future);
};

struct PendingCall::State {
  Instance::Impl* instance = nullptr;
  ExportEntry* entry = nullptr;
  std::vector<wasmtime_component_val_t> args;  // read by the future: must outlive it
  wasmtime_component_val_t result;
  std::unique_ptr<wt::OwnedValType> result_type;
  bool has_result = false;
  wasmtime_error_t* error = nullptr;
  wasmtime_call_future_t* future = nullptr;
  // The typed route: its own copy of the arguments, their slots, and the call.
  std::vector<Value> fast_args;
  std::vector<theater_slot_t> fast_slots;
  theater_fast_call_t* fast = nullptr;
  uint64_t fuel_given = 0;
  bool done = false;
  bool taken = false;
};

namespace {

bool Contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// One line for people. A trap: its message ("wasm `unreachable` instruction executed").
// Anything else: the message and its causes, joined ("component imports instance `x`, but
// ...: instance export `f` has the wrong type: function implementation is missing").
std::string ShortMessage(const std::string& full) {
  if (size_t trap = full.find("wasm trap: "); trap != std::string::npos) {
    std::string rest = Trim(full.substr(trap + 11));
    return Trim(rest.substr(0, rest.find('\n')));
  }
  size_t caused = full.find("Caused by:");
  std::string head = Trim(full.substr(0, caused));
  // Errors raised while wasm runs start with a backtrace: it is reported on its own.
  if (head.rfind("error while executing at wasm backtrace", 0) == 0) head.clear();
  std::string out = head.substr(0, head.find('\n'));
  if (caused == std::string::npos) return out;
  std::string causes = full.substr(caused + 10);
  size_t pos = 0;
  while (pos < causes.size()) {
    size_t nl = causes.find('\n', pos);
    std::string line = Trim(causes.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? causes.size() : nl + 1;
    // Causes are listed as "0: message" when there are several.
    size_t digits = line.find_first_not_of("0123456789");
    if (digits != std::string::npos && digits > 0 && line.compare(digits, 2, ": ") == 0) line = line.substr(digits + 2);
    if (!line.empty()) out += (out.empty() ? "" : ": ") + line;
  }
  return out;
}

std::vector<std::string> Backtrace(const wasmtime_error_t* err) {
  std::vector<std::string> frames;
  wasm_frame_vec_t trace;
  wasmtime_error_wasm_trace(err, &trace);
  constexpr size_t kMaxFrames = 16;  // deep recursion would otherwise list thousands
  for (size_t i = 0; i < trace.size && i < kMaxFrames; ++i) {
    const wasm_frame_t* frame = trace.data[i];
    std::string module, func;
    if (const wasm_name_t* m = wasmtime_frame_module_name(frame)) module.assign(m->data, m->size);
    if (const wasm_name_t* f = wasmtime_frame_func_name(frame)) func.assign(f->data, f->size);
    if (func.empty()) func = "func[" + std::to_string(wasm_frame_func_index(frame)) + "]";
    frames.push_back((module.empty() ? "" : module + "!") + func);
  }
  if (trace.size > kMaxFrames) frames.push_back("... " + std::to_string(trace.size - kMaxFrames) + " more frames");
  wasm_frame_vec_delete(&trace);
  return frames;
}

void DeleteValues(std::vector<wasmtime_component_val_t>& values) {
  for (auto& v : values) wasmtime_component_val_delete(&v);
  values.clear();
}

// Called every epoch tick while wasm runs: ends the call when it is terminated or past its
// deadline, and otherwise yields the thread (the call goes on at the next poll).
wasmtime_error_t* OnEpoch(wasmtime_context_t*, void* raw, uint64_t* delta, wasmtime_update_deadline_kind_t* kind) {
  auto* data = static_cast<StoreData*>(raw);
  if (data->terminate.load(std::memory_order_relaxed)) {
    data->terminated = true;
    return wasmtime_error_new("terminated by the runtime");
  }
  if (Clock::now() >= data->deadline) {
    data->deadline_hit = true;
    return wasmtime_error_new("call deadline exceeded");
  }
  *delta = 1;
  *kind = WASMTIME_UPDATE_DEADLINE_YIELD;
  return nullptr;
}

}  // namespace

Failure Instance::Impl::Classify(wasmtime_error_t* err, std::string function) {
  wt::ErrorPtr owned(err);
  std::string full = wt::ErrorMessage(err);
  Failure f;
  f.function = std::move(function);
  f.backtrace = Backtrace(err);
  f.message = ShortMessage(full);
  if (!data.host_error.empty()) {
    f.kind = data.host_error_code == StatusCode::kLimitExceeded ? FailureKind::kLimitExceeded : FailureKind::kHostError;
    f.message = data.host_error;
  } else if (data.terminated) {
    f.kind = FailureKind::kTerminated;
    f.message = "terminated while running";
  } else if (data.deadline_hit) {
    f.kind = FailureKind::kDeadlineExceeded;
    f.message = "call ran longer than " + std::to_string(limits.call_timeout_ms) + " ms";
  } else if (Contains(full, "all fuel consumed")) {
    f.kind = FailureKind::kOutOfFuel;
    f.message = "all fuel consumed (limit " + std::to_string(limits.fuel_per_call) + " per call)";
  } else if (Contains(full, "forcing trap when growing memory") || Contains(full, "forcing trap when growing table")) {
    f.kind = FailureKind::kOutOfMemory;
    f.message += " (limit " + std::to_string(limits.max_memory_bytes) + " bytes)";
  } else if (Contains(full, "call stack exhausted")) {
    f.kind = FailureKind::kStackOverflow;
  } else {
    f.kind = FailureKind::kTrap;
  }
  return f;
}

// Sets the fuel and the deadline for the next call; returns the fuel given.
uint64_t Instance::Impl::ArmLimits() {
  uint64_t fuel = limits.fuel_per_call ? limits.fuel_per_call : UINT64_MAX;
  wt::TakeErrorMessage(wasmtime_context_set_fuel(ctx(), fuel));
  data.deadline = limits.call_timeout_ms ? Clock::now() + std::chrono::milliseconds(limits.call_timeout_ms)
                                         : Clock::time_point::max();
  data.deadline_hit = false;
  data.host_error.clear();
  data.host_error_code = StatusCode::kOk;
  data.pending_ops = 0;
  wasmtime_context_set_epoch_deadline(ctx(), 1);
  return fuel;
}

void Instance::Impl::Drive(wasmtime_call_future_t* future) {
  Wakeup& w = *data.wakeup;
  for (;;) {
    {
      std::lock_guard lock(w.mu);
      w.woken = false;
    }
    if (wasmtime_call_future_poll(future)) return;
    if (data.pending_ops > 0) {
      std::unique_lock lock(w.mu);
      w.cv.wait(lock, [&] { return w.woken; });
    }
  }
}

ExportEntry* Instance::Impl::Lookup(std::string_view interface, std::string_view function) {
  std::string key = std::string(interface) + "#" + std::string(function);
  if (auto it = exports.find(key); it != exports.end()) return it->second.get();
  std::unique_ptr<ExportEntry> entry;
  wt::ExportIndexPtr iface(wasmtime_component_instance_get_export_index(&instance, ctx(), nullptr,
                                                                        interface.data(), interface.size()));
  if (iface) {
    wt::ExportIndexPtr fn(wasmtime_component_instance_get_export_index(&instance, ctx(), iface.get(),
                                                                       function.data(), function.size()));
    wasmtime_component_func_t func;
    if (fn && wasmtime_component_instance_get_func(&instance, ctx(), fn.get(), &func)) {
      entry = std::make_unique<ExportEntry>();
      entry->func = func;
      entry->type.reset(wasmtime_component_func_type(&func, ctx()));
      entry->signature = wt::RenderFuncType(entry->type.get());
      entry->fast_shape = theater_fast_export_shape(entry->signature.data(), entry->signature.size());
      if (entry->fast_shape >= 0) entry->slots = wt::ParseSlotSignature(entry->signature);
      if (!entry->slots || !entry->slots->result) entry->fast_shape = -1;
    }
  }
  ExportEntry* raw = entry.get();
  exports.emplace(std::move(key), std::move(entry));
  return raw;
}

namespace {

// The WASI context's callbacks (wasi.rs), onto the instance's WasiHooks.
WasiHooks& Hooks(void* data) { return *static_cast<WasiHooks*>(data); }
int32_t WasiWrite(void* data, int32_t fd, const uint8_t* bytes, size_t len) {
  if (!Hooks(data).write) return 0;  // nobody listens: the bytes go nowhere
  return Hooks(data).write(fd, std::span<const uint8_t>(bytes, len)) ? 0 : -1;
}
uint64_t WasiWallNow(void* data) { return Hooks(data).wall_now ? Hooks(data).wall_now() : 0; }
uint64_t WasiMonotonicNow(void* data) { return Hooks(data).monotonic_now ? Hooks(data).monotonic_now() : 0; }
void WasiRandom(void* data, uint8_t* out, size_t len) {
  if (Hooks(data).random) Hooks(data).random(std::span<uint8_t>(out, len));
  else std::fill(out, out + len, 0);
}
void WasiSocketRefused(void* data, const uint8_t* what, size_t len) {
  if (Hooks(data).socket_refused) Hooks(data).socket_refused(std::string(reinterpret_cast<const char*>(what), len));
}

}  // namespace

std::optional<std::string> FirstWasiImport(const Component& component) {
  for (const std::string& name : component.imports())
    if (name.rfind("wasi:", 0) == 0) return name;
  return std::nullopt;
}

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

std::variant<std::unique_ptr<Instance>, Failure> Instance::Create(std::shared_ptr<Engine> engine,
                                                                  std::shared_ptr<const Component> component,
                                                                  const InstanceLimits& limits, void* host_data,
                                                                  const WasiHooks* wasi) {
  std::optional<std::string> wasi_import = FirstWasiImport(*component);
  if (wasi_import && !wasi)
    return Failure{FailureKind::kInstantiation, "instantiate",
                   "the component imports `" + *wasi_import +
                       "` (WASI), which this actor is not granted (a manifest grants it with [[handler]] type = \"wasi\")",
                   {}};
  bool copy_on_write = component->impl().copy_on_write;
  auto linker = engine->impl().Linker(copy_on_write);
  if (!linker.ok()) return Failure{FailureKind::kInstantiation, "instantiate", linker.error(), {}};
  if (Status s = engine->impl().CheckImports(*component); !s.ok())
    return Failure{FailureKind::kTypeMismatch, "instantiate", s.message(), {}};

  auto impl = std::make_unique<Impl>();
  impl->engine = std::move(engine);
  impl->component = std::move(component);
  impl->limits = limits;
  impl->data.host_data = host_data;
  impl->store.reset(wasmtime_store_new(impl->engine->impl().EngineFor(copy_on_write), &impl->data, nullptr));
  auto limit = [](uint64_t v) { return v ? static_cast<int64_t>(v) : int64_t{-1}; };
  wasmtime_store_limiter(impl->store.get(), limit(limits.max_memory_bytes), limit(limits.max_table_elements),
                         limit(limits.max_instances), -1, -1);
  theater_context_set_limits(impl->ctx(), limit(limits.max_memory_bytes), limit(limits.max_table_elements),
                             limit(limits.max_instances), -1, -1);
  wasmtime_store_epoch_deadline_callback(impl->store.get(), OnEpoch, &impl->data, nullptr);
  if (wasi_import) {
    impl->wasi = std::make_unique<WasiHooks>(*wasi);
    theater_wasi_hooks_t hooks{impl->wasi.get(), WasiWrite, WasiWallNow, WasiMonotonicNow, WasiRandom, WasiSocketRefused};
    std::vector<theater_slot_t> env;
    for (const auto& [name, value] : impl->wasi->env) {
      env.push_back({1, 0, reinterpret_cast<const uint8_t*>(name.data()), name.size()});
      env.push_back({1, 0, reinterpret_cast<const uint8_t*>(value.data()), value.size()});
    }
    if (wasmtime_error_t* err = theater_context_set_wasi(impl->ctx(), &hooks, env.data(), env.size()))
      return Failure{FailureKind::kInstantiation, "instantiate", "WASI: " + wt::TakeErrorMessage(err), {}};
  }

  // Start functions (C/C++ constructors) run during instantiation, under the call limits.
  impl->ArmLimits();
  wasmtime_error_t* err = nullptr;
  wasmtime_call_future_t* future = wasmtime_component_linker_instantiate_async(
      *linker, impl->ctx(), impl->component->impl().component.get(), &impl->instance, &err);
  impl->Drive(future);
  wasmtime_call_future_delete(future);
  if (err) {
    Failure f = impl->Classify(err, "instantiate");
    if (f.kind == FailureKind::kTrap) f.kind = FailureKind::kInstantiation;
    return f;
  }
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

void Instance::SetWaker(std::function<void()> waker) {
  std::lock_guard lock(impl_->data.wakeup->mu);
  impl_->data.wakeup->waker = std::move(waker);
}

void Instance::RequestTermination() { impl_->data.terminate.store(true); }

bool Instance::HasExport(std::string_view interface, std::string_view function) {
  return impl_->Lookup(interface, function) != nullptr;
}

std::optional<std::string> Instance::ExportSignature(std::string_view interface, std::string_view function) {
  ExportEntry* e = impl_->Lookup(interface, function);
  return e ? std::optional<std::string>(e->signature) : std::nullopt;
}

namespace {

// Starts `state`'s call on the typed route (state.fast set), or leaves it to the C API's
// values when the export's type turns out not to fit the shape. A failure: bad arguments.
std::optional<Failure> StartFastCall(PendingCall::State& state, ValueList& args, const std::string& name) {
  ExportEntry& e = *state.entry;
  // The call reads the arguments while it runs: they live in its state (taken over;
  // handed back if the call goes the other way).
  state.fast_args = std::move(args);
  for (size_t i = 0; i < state.fast_args.size(); ++i) {
    Status s = wt::ToSlots(state.fast_args[i], e.slots->params[i], state.fast_slots);
    if (!s.ok()) return Failure{FailureKind::kTypeMismatch, name, "argument " + std::to_string(i) + ": " + s.message(), {}};
  }
  state.fuel_given = state.instance->ArmLimits();
  wasmtime_error_t* err = theater_fast_call_start(e.fast_shape, &e.func, state.instance->ctx(), state.fast_slots.data(),
                                                  state.fast_slots.size(), &state.fast);
  if (err) {
    wasmtime_error_delete(err);
    e.fast_shape = -1;  // not this shape after all: the C API's values from now on
    state.fast = nullptr;
    args = std::move(state.fast_args);
    state.fast_slots.clear();
  }
  return std::nullopt;
}

}  // namespace

std::variant<std::unique_ptr<PendingCall>, Failure> Instance::StartCall(std::string_view interface,
                                                                        std::string_view function,
                                                                        std::span<const Value> args,
                                                                        std::string_view expected_signature) {
  return StartCall(interface, function, ValueList(args.begin(), args.end()), expected_signature);
}

std::variant<std::unique_ptr<PendingCall>, Failure> Instance::StartCall(std::string_view interface,
                                                                        std::string_view function, ValueList&& args,
                                                                        std::string_view expected_signature) {
  std::string name = std::string(interface) + "#" + std::string(function);
  if (impl_->poisoned) return Failure{FailureKind::kTrap, name, "instance is unusable after an earlier failure", {}};
  if (impl_->call_active) return Failure{FailureKind::kHostError, name, "another call is still running", {}};
  ExportEntry* e = impl_->Lookup(interface, function);
  if (!e) return Failure{FailureKind::kMissingExport, name, "the component does not export " + name, {}};
  if (!expected_signature.empty() && e->signature != expected_signature)
    return Failure{FailureKind::kTypeMismatch, name,
                   "expected " + std::string(expected_signature) + ", the component has " + e->signature, {}};
  if (args.size() != wasmtime_component_func_type_param_count(e->type.get()))
    return Failure{FailureKind::kTypeMismatch, name, std::to_string(args.size()) + " arguments given to " + e->signature, {}};

  auto state = std::make_unique<PendingCall::State>();
  state->instance = impl_.get();
  state->entry = e;
  if (e->fast_shape >= 0) {
    if (auto failure = StartFastCall(*state, args, name)) return *failure;
    if (state->fast) {
      impl_->call_active = true;
      return std::unique_ptr<PendingCall>(new PendingCall(std::move(state), std::move(name)));
    }
  }
  state->args.resize(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    Status s = wt::ToWasmtime(args[i], state->args[i]);
    if (!s.ok()) {
      state->args.resize(i + 1);
      DeleteValues(state->args);
      return Failure{FailureKind::kTypeMismatch, name, "argument " + std::to_string(i) + ": " + s.message(), {}};
    }
  }
  state->result_type = std::make_unique<wt::OwnedValType>();
  state->has_result = wasmtime_component_func_type_result(e->type.get(), &state->result_type->ty);
  state->result.kind = WASMTIME_COMPONENT_BOOL;
  state->result.of.boolean = false;
  state->fuel_given = impl_->ArmLimits();
  state->future = wasmtime_component_func_call_async(&e->func, impl_->ctx(), state->args.data(), state->args.size(),
                                                     &state->result, state->has_result ? 1 : 0, &state->error);
  impl_->call_active = true;
  return std::unique_ptr<PendingCall>(new PendingCall(std::move(state), std::move(name)));
}

CallOutcome Instance::Call(std::string_view interface, std::string_view function, std::span<const Value> args,
                           std::string_view expected_signature) {
  auto started = StartCall(interface, function, args, expected_signature);
  if (auto* f = std::get_if<Failure>(&started)) return *f;
  PendingCall& call = *std::get<std::unique_ptr<PendingCall>>(started);
  Wakeup& w = *impl_->data.wakeup;
  for (;;) {
    {
      std::lock_guard lock(w.mu);
      w.woken = false;
    }
    PendingCall::Progress p = call.Poll();
    if (p == PendingCall::Progress::kDone) break;
    if (p == PendingCall::Progress::kBlocked) {
      std::unique_lock lock(w.mu);
      w.cv.wait(lock, [&] { return w.woken; });
    }
  }
  return call.TakeOutcome();
}

bool Instance::poisoned() const { return impl_->poisoned; }
uint64_t Instance::fuel_used_last_call() const { return impl_->fuel_used; }

PendingCall::PendingCall(std::unique_ptr<State> state, std::string function)
    : state_(std::move(state)), function_(std::move(function)) {}

PendingCall::~PendingCall() {
  State& s = *state_;
  if (s.future) {
    // Dropping an unfinished call unwinds its fiber; the store cannot be trusted after it.
    wasmtime_call_future_delete(s.future);
    s.instance->poisoned = true;
  }
  if (s.fast) {
    if (!s.done) s.instance->poisoned = true;
    theater_fast_call_delete(s.fast);
  }
  if (s.error) wasmtime_error_delete(s.error);
  if (s.done && s.has_result && !s.taken && !s.error) wasmtime_component_val_delete(&s.result);
  DeleteValues(s.args);
  s.instance->call_active = false;
}

PendingCall::Progress PendingCall::Poll() {
  State& s = *state_;
  if (s.done) return Progress::kDone;
  bool finished = s.fast ? theater_fast_call_poll(s.fast) : wasmtime_call_future_poll(s.future);
  if (!finished) return s.instance->data.pending_ops > 0 ? Progress::kBlocked : Progress::kYielded;
  if (s.future) wasmtime_call_future_delete(s.future);
  s.future = nullptr;
  s.done = true;
  uint64_t left = 0;
  wt::TakeErrorMessage(wasmtime_context_get_fuel(s.instance->ctx(), &left));
  s.instance->fuel_used = s.fuel_given - left;
  return Progress::kDone;
}

namespace {

CallOutcome TakeFastOutcome(PendingCall::State& s, const std::string& function) {
  const theater_slot_t* slots = nullptr;
  size_t n = 0;
  if (wasmtime_error_t* err = theater_fast_call_results(s.fast, &slots, &n)) {
    s.instance->poisoned = true;
    return s.instance->Classify(err, function);
  }
  size_t i = 0;
  auto v = wt::FromSlots(std::span<const theater_slot_t>(slots, n), i, *s.entry->slots->result);
  theater_fast_call_delete(s.fast);
  s.fast = nullptr;
  s.fast_args.clear();
  if (!v.ok()) return Failure{FailureKind::kTypeMismatch, function, "result: " + v.error(), {}};
  return std::optional<Value>(std::move(*v));
}

}  // namespace

CallOutcome PendingCall::TakeOutcome() {
  State& s = *state_;
  if (!s.done || s.taken) return Failure{FailureKind::kHostError, function_, "call outcome is not available", {}};
  s.taken = true;
  DeleteValues(s.args);
  if (s.fast) return TakeFastOutcome(s, function_);
  if (s.error) {
    wasmtime_error_t* err = s.error;
    s.error = nullptr;
    s.instance->poisoned = true;
    return s.instance->Classify(err, function_);
  }
  if (!s.has_result) return std::optional<Value>();
  Value v = wt::FromWasmtime(s.result, s.result_type->ty);
  wasmtime_component_val_delete(&s.result);
  return std::optional<Value>(std::move(v));
}

}  // namespace theater
