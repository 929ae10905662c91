#include "engine/engine.h"

#include <chrono>
#include <cstring>

#include "common/files.h"
#include "engine/engine_impl.h"
#include "engine/shim.h"
#include "engine/value_convert.h"

namespace theater {
namespace {

constexpr char kWasmtimeVersion[] = "48.0.8";

}  // namespace

// Called by wasmtime for every host function; `env` is the HostEntry.
extern "C" wasmtime_error_t* TheaterHostTrampoline(void* env, wasmtime_context_t* ctx,
                                                   const wasmtime_component_func_type_t* ty,
                                                   wasmtime_component_val_t* args, size_t nargs,
                                                   wasmtime_component_val_t* results, size_t nresults);
extern "C" void TheaterAsyncHostTrampoline(void* env, wasmtime_context_t* ctx,
                                           const wasmtime_component_func_type_t* ty, wasmtime_component_val_t* args,
                                           size_t nargs, wasmtime_component_val_t* results, size_t nresults,
                                           wasmtime_error_t** error_ret, wasmtime_async_continuation_t* continuation);
extern "C" void TheaterFastHostTrampoline(void* env, wasmtime_context_t* ctx, const theater_slot_t* args,
                                          size_t nargs, theater_slot_t* results, size_t nresults,
                                          wasmtime_error_t** error_ret, wasmtime_async_continuation_t* continuation);

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() = default;

namespace {

// Whether a component is large enough for copy-on-write memory images (Engine::Impl). Its
// size stands for its initial memory's: what makes a component large is a language's
// runtime and heap, snapshotted into its data segments.
constexpr size_t kLargeComponentBytes = 1 << 20;

wasm_config_t* NewConfig(const EngineOptions& options, wt::StackPool& stacks, bool copy_on_write) {
  wasm_config_t* config = wasm_config_new();
  wasmtime_config_consume_fuel_set(config, true);
  wasmtime_config_epoch_interruption_set(config, true);
  wasmtime_config_max_wasm_stack_set(config, options.max_wasm_stack);
  // Fibers for async calls need room for the wasm stack plus host frames. They come from a
  // pool, so that a call does not map and unmap a stack.
  wasmtime_config_async_stack_size_set(config, options.max_wasm_stack + (1 << 20));
  wasmtime_stack_creator_t creator = stacks.Creator();
  wasmtime_config_host_stack_creator_set(config, &creator);
  // Determinism: the same inputs give the same results (needed for replay).
  wasmtime_config_cranelift_nan_canonicalization_set(config, true);
  wasmtime_config_wasm_relaxed_simd_deterministic_set(config, true);
  // Threads: the `threads` feature is not compiled into our wasmtime build at all.
  wasmtime_config_wasm_component_model_set(config, true);
  // Small components' memory images are copied instead of mapped copy-on-write: one
  // mapping less per actor (mappings, not memory, run out first with tens of thousands of
  // actors), and 10-20 us less per spawn. Large ones are mapped (Engine::Impl).
  wasmtime_config_memory_init_cow_set(config, copy_on_write);
  return config;
}

}  // namespace

Result<std::shared_ptr<Engine>> Engine::Create(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->stacks = std::make_unique<wt::StackPool>();
  impl->engine.reset(wasm_engine_new_with_config(NewConfig(options, *impl->stacks, false)));  // takes the config
  if (!impl->engine) return Status::Error("wasmtime engine could not be created");

  std::string settings = std::string("wasmtime ") + kWasmtimeVersion +
                         "; fuel; epoch; nan-canonical; relaxed-simd-deterministic; stack " +
                         std::to_string(options.max_wasm_stack);
  impl->fingerprint = ToHex(Sha256(settings)).substr(0, 16);
  impl->image_fingerprint = ToHex(Sha256(settings + "; copy-on-write images")).substr(0, 16);

  wasm_engine_t* raw = impl->engine.get();
  std::atomic<wasm_engine_t*>* image = &impl->image_engine_raw;
  auto tick = options.epoch_tick;
  impl->epoch_ticker = std::jthread([raw, image, tick](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(tick);
      wasmtime_engine_increment_epoch(raw);
      if (wasm_engine_t* second = image->load(std::memory_order_acquire)) wasmtime_engine_increment_epoch(second);
    }
  });
  return std::shared_ptr<Engine>(new Engine(std::move(impl)));
}

namespace {

std::vector<std::string> ItemNames(const wasmtime_component_type_t* ty, const wasm_engine_t* engine,
                                   bool imports) {
  std::vector<std::string> names;
  size_t n = imports ? wasmtime_component_type_import_count(ty, engine)
                     : wasmtime_component_type_export_count(ty, engine);
  for (size_t i = 0; i < n; ++i) {
    const char* name;
    size_t len;
    wt::OwnedItem item;
    bool ok = imports ? wasmtime_component_type_import_nth(ty, engine, i, &name, &len, &item.item)
                      : wasmtime_component_type_export_nth(ty, engine, i, &name, &len, &item.item);
    item.valid = ok;
    if (ok) names.emplace_back(name, len);
  }
  return names;
}

std::vector<ImportedFunction> ImportedFunctions(const wasmtime_component_type_t* ty, const wasm_engine_t* engine,
                                               const std::vector<std::string>& imports) {
  std::vector<ImportedFunction> functions;
  for (const std::string& interface : imports) {
    wt::OwnedItem item;
    item.valid = wasmtime_component_type_import_get(ty, engine, interface.data(), interface.size(), &item.item);
    if (!item.valid || item.item.kind != WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE) continue;
    const wasmtime_component_instance_type_t* instance = item.item.of.component_instance;
    size_t n = wasmtime_component_instance_type_export_count(instance, engine);
    for (size_t i = 0; i < n; ++i) {
      const char* name;
      size_t len;
      wt::OwnedItem func;
      func.valid = wasmtime_component_instance_type_export_nth(instance, engine, i, &name, &len, &func.item);
      if (!func.valid || func.item.kind != WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC) continue;
      functions.push_back({interface, std::string(name, len), wt::RenderFuncType(func.item.of.component_func)});
    }
  }
  return functions;
}

}  // namespace

Result<std::shared_ptr<const Component>> Engine::LoadComponent(std::span<const uint8_t> bytes) {
  Hash hash = Sha256(bytes);
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->loaded.find(hash); it != impl_->loaded.end()) {
    if (auto existing = it->second.lock()) {
      ++impl_->stats.reused_in_memory;
      return existing;
    }
  }

  auto start = std::chrono::steady_clock::now();
  auto ci = std::make_unique<Component::Impl>();
  ci->sha256 = hash;
  ci->copy_on_write = bytes.size() >= kLargeComponentBytes;
  wasm_engine_t* engine = impl_->EngineFor(ci->copy_on_write);
  if (!engine) return Status::Error("wasmtime engine could not be created");
  wasmtime_component_t* raw = nullptr;
  std::filesystem::path cached;
  if (!impl_->options.cache_dir.empty())
    cached = impl_->options.cache_dir /
             (ToHex(hash) + "-" + (ci->copy_on_write ? impl_->image_fingerprint : impl_->fingerprint) + ".cwasm");

  std::error_code ec;
  if (!cached.empty() && std::filesystem::exists(cached, ec)) {
    // A cache file that does not deserialize (truncated, other engine) is recompiled below.
    wasmtime_error_t* err = wasmtime_component_deserialize_file(engine, cached.c_str(), &raw);
    if (err) {
      wt::TakeErrorMessage(err);
      raw = nullptr;
    } else {
      ci->origin = "disk-cache";
      ++impl_->stats.loaded_from_disk;
    }
  }
  if (!raw) {
    wasm_byte_vec_t binary;
    bool is_text = bytes.size() < 4 || std::memcmp(bytes.data(), "\0asm", 4) != 0;
    if (is_text) {
      wasmtime_error_t* err =
          wasmtime_wat2wasm(reinterpret_cast<const char*>(bytes.data()), bytes.size(), &binary);
      if (err) return Status::Error("not a component (neither wasm binary nor valid WAT text): " +
                                    wt::TakeErrorMessage(err));
    } else {
      wasm_byte_vec_new(&binary, bytes.size(), reinterpret_cast<const wasm_byte_t*>(bytes.data()));
    }
    wasmtime_error_t* err = wasmtime_component_new(engine,
                                                   reinterpret_cast<const uint8_t*>(binary.data),
                                                   binary.size, &raw);
    wasm_byte_vec_delete(&binary);
    if (err) return Status::Error("component does not compile: " + wt::TakeErrorMessage(err));
    ci->origin = "compiled";
    ++impl_->stats.compiled;
    if (!cached.empty()) {
      // Failing to cache only costs the next start a compile: not an error.
      wasm_byte_vec_t artifact;
      if (wasmtime_error_t* serr = wasmtime_component_serialize(raw, &artifact)) {
        wt::TakeErrorMessage(serr);
      } else {
        WriteFileAtomic(cached, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(artifact.data),
                                                         artifact.size));
        wasm_byte_vec_delete(&artifact);
      }
    }
  }
  ci->component.reset(raw);
  wt::ComponentTypePtr type(wasmtime_component_type(raw));
  ci->imports = ItemNames(type.get(), engine, true);
  ci->exports = ItemNames(type.get(), engine, false);
  ci->imported_functions = ImportedFunctions(type.get(), engine, ci->imports);
  ci->load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  auto component = std::make_shared<const Component>(std::move(ci));
  impl_->loaded[hash] = component;
  return std::shared_ptr<const Component>(component);
}

Result<std::shared_ptr<const Component>> Engine::LoadComponentFile(const std::filesystem::path& path) {
  std::error_code ec1, ec2;
  auto mtime = std::filesystem::last_write_time(path, ec1);
  auto size = std::filesystem::file_size(path, ec2);
  if (!ec1 && !ec2) {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->files.find(path); it != impl_->files.end() && it->second.mtime == mtime && it->second.size == size) {
      if (auto component = it->second.component.lock()) {
        ++impl_->stats.reused_in_memory;
        return component;
      }
    }
  }
  auto bytes = ReadFile(path, kMaxComponentBytes);
  if (!bytes.ok()) return bytes.status();
  auto component = LoadComponent(*bytes);
  if (!component.ok()) return Status::Error(path.string() + ": " + component.error());
  if (!ec1 && !ec2) {
    std::lock_guard lock(impl_->mu);
    impl_->files[path] = Impl::FileEntry{mtime, size, *component};
  }
  return component;
}

Status Engine::DefineFunction(const std::string& interface, const std::string& name, const std::string& signature,
                              HostFunction fn) {
  std::lock_guard lock(impl_->mu);
  if (impl_->linker || impl_->image_linker) return Status::Error("host functions must be defined before the first instance");
  impl_->host_functions.push_back(HostEntry{interface, name, interface + "#" + name, signature, std::move(fn), nullptr});
  impl_->interfaces.insert(interface);
  return Status::Ok();
}

Status Engine::DefineAsyncFunction(const std::string& interface, const std::string& name,
                                   const std::string& signature, AsyncHostFunction fn) {
  std::lock_guard lock(impl_->mu);
  if (impl_->linker || impl_->image_linker) return Status::Error("host functions must be defined before the first instance");
  impl_->host_functions.push_back(HostEntry{interface, name, interface + "#" + name, signature, nullptr, std::move(fn)});
  impl_->interfaces.insert(interface);
  return Status::Ok();
}

Status Engine::DefineTypesOnlyInterface(const std::string& interface) {
  std::lock_guard lock(impl_->mu);
  if (impl_->linker || impl_->image_linker) return Status::Error("interfaces must be defined before the first instance");
  impl_->interfaces.insert(interface);
  return Status::Ok();
}

bool Engine::Provides(const std::string& interface) const {
  std::lock_guard lock(impl_->mu);
  return impl_->interfaces.count(interface) > 0;
}

Engine::Stats Engine::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

wasm_engine_t* Engine::Impl::EngineFor(bool copy_on_write) {
  if (!copy_on_write) return engine.get();
  std::call_once(image_engine_once, [&] {
    image_engine.reset(wasm_engine_new_with_config(NewConfig(options, *stacks, true)));
    image_engine_raw.store(image_engine.get(), std::memory_order_release);
  });
  return image_engine.get();
}

Result<const wasmtime_component_linker_t*> Engine::Impl::Linker(bool copy_on_write) {
  wasm_engine_t* for_engine = EngineFor(copy_on_write);
  std::lock_guard lock(mu);
  wt::LinkerPtr& linker = copy_on_write ? image_linker : this->linker;
  if (linker) return static_cast<const wasmtime_component_linker_t*>(linker.get());
  wt::LinkerPtr built(wasmtime_component_linker_new(for_engine));
  // WASI 0.2 for every component that imports it; an instance gets its context (and the
  // runtime's hooks) only when its actor is granted WASI (instance.cc).
  if (wasmtime_error_t* err = wasmtime_component_linker_add_wasip2(built.get()))
    return Status::Error("linking WASI 0.2: " + wt::TakeErrorMessage(err));
  {
    wt::LinkerInstancePtr root(wasmtime_component_linker_root(built.get()));
    for (const std::string& interface : interfaces) {
      wasmtime_component_linker_instance_t* raw = nullptr;
      wasmtime_error_t* err =
          wasmtime_component_linker_instance_add_instance(root.get(), interface.data(), interface.size(), &raw);
      if (err) return Status::Error("linking " + interface + ": " + wt::TakeErrorMessage(err));
      wt::LinkerInstancePtr instance(raw);
      for (HostEntry& entry : host_functions) {
        if (entry.interface != interface) continue;
        entry.fast_shape = theater_fast_host_shape(entry.signature.data(), entry.signature.size());
        if (entry.fast_shape >= 0) entry.slots = wt::ParseSlotSignature(entry.signature);
        if (!entry.slots) entry.fast_shape = -1;
        err = entry.fast_shape >= 0 ? theater_fast_linker_add_func(instance.get(), entry.name.data(), entry.name.size(),
                                                                   entry.fast_shape, TheaterFastHostTrampoline, &entry)
              : entry.async_fn ? wasmtime_component_linker_instance_add_func_async(
                                   instance.get(), entry.name.data(), entry.name.size(), TheaterAsyncHostTrampoline,
                                   &entry, nullptr)
                             : wasmtime_component_linker_instance_add_func(instance.get(), entry.name.data(),
                                                                           entry.name.size(), TheaterHostTrampoline,
                                                                           &entry, nullptr);
        if (err) return Status::Error("linking " + entry.qualified + ": " + wt::TakeErrorMessage(err));
      }
    }
  }
  linker = std::move(built);
  return static_cast<const wasmtime_component_linker_t*>(linker.get());
}

void Engine::Preempt() {
  wasmtime_engine_increment_epoch(impl_->engine.get());
  if (wasm_engine_t* image = impl_->image_engine_raw.load(std::memory_order_acquire))
    wasmtime_engine_increment_epoch(image);
}

Status Engine::CheckImportSignatures(const Component& component) { return impl_->CheckImports(component); }

Status Engine::Impl::CheckImports(const Component& component) {
  Component::Impl& ci = component.impl();
  std::call_once(ci.import_check_once, [&] {
    wasm_engine_t* engine = EngineFor(ci.copy_on_write);
    wt::ComponentTypePtr type(wasmtime_component_type(ci.component.get()));
    for (const std::string& interface : ci.imports) {
      if (!interfaces.count(interface)) continue;  // the linker reports what is missing
      wt::OwnedItem item;
      item.valid = wasmtime_component_type_import_get(type.get(), engine, interface.data(),
                                                      interface.size(), &item.item);
      if (!item.valid || item.item.kind != WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE) {
        ci.import_check = Status::Error("the component imports `" + interface + "` as something other than an instance");
        return;
      }
      const wasmtime_component_instance_type_t* instance = item.item.of.component_instance;
      size_t n = wasmtime_component_instance_type_export_count(instance, engine);
      for (size_t i = 0; i < n; ++i) {
        const char* name;
        size_t len;
        wt::OwnedItem func;
        func.valid = wasmtime_component_instance_type_export_nth(instance, engine, i, &name, &len, &func.item);
        if (!func.valid || func.item.kind != WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC) continue;  // types
        std::string fname(name, len);
        std::string actual = wt::RenderFuncType(func.item.of.component_func);
        const HostEntry* entry = nullptr;
        for (const HostEntry& e : host_functions)
          if (e.interface == interface && e.name == fname) entry = &e;
        if (!entry) {
          ci.import_check = Status::Error("the component imports `" + interface + "#" + fname +
                                          "`, which that interface does not have");
          return;
        }
        if (entry->signature != actual) {
          ci.import_check = Status::Error("the component imports `" + entry->qualified + "` as " + actual +
                                          ", but the contract says " + entry->signature);
          return;
        }
      }
    }
  });
  return ci.import_check;
}

Component::Component(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Component::~Component() = default;
const Hash& Component::sha256() const { return impl_->sha256; }
const std::string& Component::origin() const { return impl_->origin; }
double Component::load_ms() const { return impl_->load_ms; }
bool Component::copy_on_write() const { return impl_->copy_on_write; }
const std::vector<std::string>& Component::imports() const { return impl_->imports; }
const std::vector<std::string>& Component::exports() const { return impl_->exports; }
const std::vector<ImportedFunction>& Component::imported_functions() const { return impl_->imported_functions; }

}  // namespace theater
