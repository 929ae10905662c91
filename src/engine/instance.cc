#include "engine/instance.h"

#include <map>

#include "engine/engine_impl.h"
#include "engine/shim.h"
#include "engine/value_convert.h"

namespace theater {

// What a store carries: the owner's host data, and the error of the last failed host call
// (a component call's error has no structured cause, so the host remembers it here).
struct StoreData {
  void* host_data = nullptr;
  std::string host_error;
};

struct ExportEntry {
  wasmtime_component_func_t func;
  wt::FuncTypePtr type;
  std::string signature;
};

struct Instance::Impl {
  std::shared_ptr<Engine> engine;
  std::shared_ptr<const Component> component;
  InstanceLimits limits;
  StoreData data;
  wt::StorePtr store;  // declared after `data`: destroyed before it
  wasmtime_component_instance_t instance{};
  std::map<std::string, std::unique_ptr<ExportEntry>, std::less<>> exports;  // "iface#func"; null = missing
  bool poisoned = false;
  uint64_t fuel_used = 0;

  wasmtime_context_t* ctx() { return wasmtime_store_context(store.get()); }
  ExportEntry* Lookup(std::string_view interface, std::string_view function);
  uint64_t ArmLimits();
  Failure Classify(wasmtime_error_t* err, std::string function);
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

}  // namespace

Failure Instance::Impl::Classify(wasmtime_error_t* err, std::string function) {
  wt::ErrorPtr owned(err);
  std::string full = wt::ErrorMessage(err);
  Failure f;
  f.function = std::move(function);
  f.backtrace = Backtrace(err);
  if (!data.host_error.empty()) {
    f.kind = FailureKind::kHostError;
    f.message = data.host_error;
    return f;
  }
  f.message = ShortMessage(full);
  if (Contains(full, "all fuel consumed")) {
    f.kind = FailureKind::kOutOfFuel;
    f.message = "all fuel consumed (limit " + std::to_string(limits.fuel_per_call) + " per call)";
  } else if (Contains(full, "wasm trap: interrupt")) {
    f.kind = FailureKind::kDeadlineExceeded;
    f.message = "call ran longer than " + std::to_string(limits.call_timeout_ms) + " ms";
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

// Sets the fuel and deadline for the next call; returns the fuel given.
uint64_t Instance::Impl::ArmLimits() {
  uint64_t fuel = limits.fuel_per_call ? limits.fuel_per_call : UINT64_MAX;
  wt::TakeErrorMessage(wasmtime_context_set_fuel(ctx(), fuel));
  wasmtime_context_set_epoch_deadline(ctx(), engine->impl().DeadlineTicks(limits.call_timeout_ms));
  data.host_error.clear();
  return fuel;
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
    }
  }
  ExportEntry* raw = entry.get();
  exports.emplace(std::move(key), std::move(entry));
  return raw;
}

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

std::variant<std::unique_ptr<Instance>, Failure> Instance::Create(std::shared_ptr<Engine> engine,
                                                                  std::shared_ptr<const Component> component,
                                                                  const InstanceLimits& limits, void* host_data) {
  auto linker = engine->impl().Linker();
  if (!linker.ok()) return Failure{FailureKind::kInstantiation, "instantiate", linker.error(), {}};
  if (Status s = engine->impl().CheckImports(*component); !s.ok())
    return Failure{FailureKind::kTypeMismatch, "instantiate", s.message(), {}};

  auto impl = std::make_unique<Impl>();
  impl->engine = std::move(engine);
  impl->component = std::move(component);
  impl->limits = limits;
  impl->data.host_data = host_data;
  impl->store.reset(wasmtime_store_new(impl->engine->impl().engine.get(), &impl->data, nullptr));
  auto limit = [](uint64_t v) { return v ? static_cast<int64_t>(v) : int64_t{-1}; };
  wasmtime_store_limiter(impl->store.get(), limit(limits.max_memory_bytes), limit(limits.max_table_elements),
                         limit(limits.max_instances), -1, -1);
  theater_context_set_limits(impl->ctx(), limit(limits.max_memory_bytes), limit(limits.max_table_elements),
                             limit(limits.max_instances), -1, -1);

  // Start functions (C/C++ constructors) run during instantiation, under the call limits.
  impl->ArmLimits();
  wasmtime_error_t* err = wasmtime_component_linker_instantiate(
      *linker, impl->ctx(), impl->component->impl().component.get(), &impl->instance);
  if (err) {
    Failure f = impl->Classify(err, "instantiate");
    if (f.kind == FailureKind::kTrap) f.kind = FailureKind::kInstantiation;
    return f;
  }
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

bool Instance::HasExport(std::string_view interface, std::string_view function) {
  return impl_->Lookup(interface, function) != nullptr;
}

std::optional<std::string> Instance::ExportSignature(std::string_view interface, std::string_view function) {
  ExportEntry* e = impl_->Lookup(interface, function);
  return e ? std::optional<std::string>(e->signature) : std::nullopt;
}

CallOutcome Instance::Call(std::string_view interface, std::string_view function, std::span<const Value> args,
                           std::string_view expected_signature) {
  std::string name = std::string(interface) + "#" + std::string(function);
  if (impl_->poisoned)
    return Failure{FailureKind::kTrap, name, "instance is unusable after an earlier failure", {}};
  ExportEntry* e = impl_->Lookup(interface, function);
  if (!e) return Failure{FailureKind::kMissingExport, name, "the component does not export " + name, {}};
  if (!expected_signature.empty() && e->signature != expected_signature)
    return Failure{FailureKind::kTypeMismatch, name,
                   "expected " + std::string(expected_signature) + ", the component has " + e->signature, {}};
  if (args.size() != wasmtime_component_func_type_param_count(e->type.get()))
    return Failure{FailureKind::kTypeMismatch, name,
                   std::to_string(args.size()) + " arguments given to " + e->signature, {}};

  std::vector<wasmtime_component_val_t> cargs(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    Status s = wt::ToWasmtime(args[i], cargs[i]);
    if (!s.ok()) {
      cargs.resize(i + 1);
      DeleteValues(cargs);
      return Failure{FailureKind::kTypeMismatch, name, "argument " + std::to_string(i) + ": " + s.message(), {}};
    }
  }
  wt::OwnedValType result_type;
  bool has_result = wasmtime_component_func_type_result(e->type.get(), &result_type.ty);
  wasmtime_component_val_t result;
  result.kind = WASMTIME_COMPONENT_BOOL;
  result.of.boolean = false;

  uint64_t fuel = impl_->ArmLimits();
  wasmtime_error_t* err = wasmtime_component_func_call(&e->func, impl_->ctx(), cargs.data(), cargs.size(),
                                                       &result, has_result ? 1 : 0);
  DeleteValues(cargs);
  uint64_t left = 0;
  wt::TakeErrorMessage(wasmtime_context_get_fuel(impl_->ctx(), &left));
  impl_->fuel_used = fuel - left;
  if (err) {
    impl_->poisoned = true;
    return impl_->Classify(err, name);
  }
  if (!has_result) return std::optional<Value>();
  Value v = wt::FromWasmtime(result, result_type.ty);
  wasmtime_component_val_delete(&result);
  return std::optional<Value>(std::move(v));
}

bool Instance::poisoned() const { return impl_->poisoned; }
uint64_t Instance::fuel_used_last_call() const { return impl_->fuel_used; }

// Called by wasmtime for every host function; `env` is the HostEntry it was linked with.
extern "C" wasmtime_error_t* TheaterHostTrampoline(void* env, wasmtime_context_t* ctx,
                                                   const wasmtime_component_func_type_t* ty,
                                                   wasmtime_component_val_t* args, size_t nargs,
                                                   wasmtime_component_val_t* results, size_t nresults) {
  auto* entry = static_cast<HostEntry*>(env);
  auto* data = static_cast<StoreData*>(wasmtime_context_get_data(ctx));
  auto fail = [&](std::string why) {
    data->host_error = entry->qualified + ": " + why;
    return wasmtime_error_new(data->host_error.c_str());
  };
  // Nothing may unwind into wasmtime (Rust): every exception ends here.
  try {
    std::vector<Value> values;
    values.reserve(nargs);
    for (size_t i = 0; i < nargs; ++i) {
      const char* pname;
      size_t plen;
      wt::OwnedValType t;
      wasmtime_component_func_type_param_nth(ty, i, &pname, &plen, &t.ty);
      values.push_back(wt::FromWasmtime(args[i], t.ty));
    }
    auto r = entry->fn(data->host_data, values);
    if (!r.ok()) return fail(r.error());
    if (nresults == 1) {
      if (!r->has_value()) return fail("returned no value");
      Status s = wt::ToWasmtime(**r, results[0]);
      if (!s.ok()) return fail("result: " + s.message());
    }
    return static_cast<wasmtime_error_t*>(nullptr);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return fail("internal error");
  }
}

}  // namespace theater
