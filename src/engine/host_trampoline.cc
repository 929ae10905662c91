// The trampolines wasmtime calls for every host function: they turn its arguments into
// Values, run the HostFunction / AsyncHostFunction, and hand the result back (now, or
// when its HostOp completes). Two routes: wasmtime's C API values for most signatures,
// and slots for the typed shapes of fast.rs (bytes copied in bulk).
#include <optional>

#include "engine/engine_impl.h"
#include "engine/slots.h"
#include "engine/store_data.h"
#include "engine/value_convert.h"

namespace theater {

namespace {

// A host function's arguments, read with the types the component declared for them.
std::vector<Value> HostArgs(const wasmtime_component_func_type_t* ty, const wasmtime_component_val_t* args,
                            size_t nargs) {
  std::vector<Value> values;
  values.reserve(nargs);
  for (size_t i = 0; i < nargs; ++i) {
    const char* name;
    size_t len;
    wt::OwnedValType t;
    wasmtime_component_func_type_param_nth(ty, i, &name, &len, &t.ty);
    values.push_back(wt::FromWasmtime(args[i], t.ty));
  }
  return values;
}

}  // namespace

// Called by wasmtime for every synchronous host function; `env` is its HostEntry.
extern "C" wasmtime_error_t* TheaterHostTrampoline(void* env, wasmtime_context_t* ctx,
                                                   const wasmtime_component_func_type_t* ty,
                                                   wasmtime_component_val_t* args, size_t nargs,
                                                   wasmtime_component_val_t* results, size_t nresults) {
  auto* entry = static_cast<HostEntry*>(env);
  auto* data = static_cast<StoreData*>(wasmtime_context_get_data(ctx));
  auto fail = [&](std::string why, StatusCode code = StatusCode::kError) {
    data->host_error = entry->qualified + ": " + why;
    data->host_error_code = code;
    return wasmtime_error_new(data->host_error.c_str());
  };
  // Nothing may unwind into wasmtime (Rust): every exception ends here.
  try {
    std::vector<Value> values = HostArgs(ty, args, nargs);
    auto r = entry->fn(data->host_data, values);
    if (!r.ok()) return fail(r.error(), r.status().code());
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

namespace {

// The continuation of an async host function whose result came at once.
bool AlwaysReady(void*) { return true; }

// The continuation of an async host function waiting on a HostOp.
struct Waiting {
  std::shared_ptr<HostOp> op;
  StoreData* data;
  wasmtime_component_val_t* results;
  size_t nresults;
  bool counted = true;
};

bool WaitingReady(void* raw) {
  auto* w = static_cast<Waiting*>(raw);
  if (!w->op->done()) return false;
  std::optional<Value> v = w->op->TakeResult();
  if (w->nresults == 1 && v) {
    // A value that does not convert is left as is: wasmtime then fails the call with a type error.
    wasmtime_component_val_t converted;
    if (wt::ToWasmtime(*v, converted).ok()) w->results[0] = converted;
    else wasmtime_component_val_delete(&converted);
  }
  if (w->counted) {
    --w->data->pending_ops;
    w->counted = false;
  }
  return true;
}

void DeleteWaiting(void* raw) { delete static_cast<Waiting*>(raw); }

}  // namespace

// Called by wasmtime for every async host function; `env` is its HostEntry.
extern "C" void TheaterAsyncHostTrampoline(void* env, wasmtime_context_t* ctx,
                                           const wasmtime_component_func_type_t* ty, wasmtime_component_val_t* args,
                                           size_t nargs, wasmtime_component_val_t* results, size_t nresults,
                                           wasmtime_error_t** error_ret, wasmtime_async_continuation_t* continuation) {
  auto* entry = static_cast<HostEntry*>(env);
  auto* data = static_cast<StoreData*>(wasmtime_context_get_data(ctx));
  auto fail = [&](std::string why, StatusCode code = StatusCode::kError) {
    data->host_error = entry->qualified + ": " + why;
    data->host_error_code = code;
    *error_ret = wasmtime_error_new(data->host_error.c_str());
  };
  try {
    std::vector<Value> values = HostArgs(ty, args, nargs);
    auto r = entry->async_fn(data->host_data, values);
    if (!r.ok()) return fail(r.error(), r.status().code());
    if (!r->later) {
      if (nresults == 1) {
        if (!r->value) return fail("returned no value");
        Status s = wt::ToWasmtime(*r->value, results[0]);
        if (!s.ok()) return fail("result: " + s.message());
      }
      continuation->callback = AlwaysReady;
      continuation->env = nullptr;
      continuation->finalizer = nullptr;
      return;
    }
    std::shared_ptr<Wakeup> wakeup = data->wakeup;
    r->later->SetWaker([wakeup] { wakeup->Wake(); });
    ++data->pending_ops;
    continuation->callback = WaitingReady;
    continuation->env = new Waiting{r->later, data, results, nresults};
    continuation->finalizer = DeleteWaiting;
  } catch (const std::exception& e) {
    fail(std::string("internal error: ") + e.what());
  } catch (...) {
    fail("internal error");
  }
}


// ---- Typed host functions (slots) ----

namespace {

// A typed host function's result, kept until wasmtime has copied it out of the slots.
struct FastResult {
  const HostEntry* entry;
  StoreData* data;
  theater_slot_t* slots;
  size_t nslots;
  std::optional<Value> value;     // what the slots point into
  std::shared_ptr<HostOp> later;  // set while the result is awaited
};

// Writes the result into its slots; why it could not, otherwise.
Status FillResults(FastResult& r) {
  const auto& type = r.entry->slots->result;
  if (!type) return Status::Ok();
  if (!r.value) return Status::Error("returned no value");
  std::vector<theater_slot_t> out;
  out.reserve(r.nslots);
  if (Status s = wt::ToSlots(*r.value, *type, out); !s.ok()) return Status::Error("result: " + s.message());
  if (out.size() != r.nslots) return Status::Error("result has " + std::to_string(out.size()) + " slots");
  std::copy(out.begin(), out.end(), r.slots);
  return Status::Ok();
}

bool FastReady(void*) { return true; }

bool FastWaitingReady(void* raw) {
  auto* r = static_cast<FastResult*>(raw);
  if (!r->later->done()) return false;
  r->value = r->later->TakeResult();
  r->later.reset();
  --r->data->pending_ops;
  if (Status s = FillResults(*r); !s.ok() && r->nslots > 0 && r->entry->slots->result->kind == wt::SlotType::Kind::kResult) {
    // A completion of the wrong type is a host bug: the guest sees an error result.
    static const std::string kWrongType = "host result of the wrong type";
    std::fill(r->slots, r->slots + r->nslots, theater_slot_t{1, 0, nullptr, 0});
    r->slots[r->nslots - 1].data = reinterpret_cast<const uint8_t*>(kWrongType.data());
    r->slots[r->nslots - 1].len = kWrongType.size();
  }
  return true;
}

void DeleteFastResult(void* raw) {
  delete static_cast<FastResult*>(raw);
}

}  // namespace

// Called by wasmtime (through fast.rs) for every host function with a typed shape.
extern "C" void TheaterFastHostTrampoline(void* env, wasmtime_context_t* ctx, const theater_slot_t* args,
                                          size_t nargs, theater_slot_t* results, size_t nresults,
                                          wasmtime_error_t** error_ret, wasmtime_async_continuation_t* continuation) {
  auto* entry = static_cast<const HostEntry*>(env);
  auto* data = static_cast<StoreData*>(wasmtime_context_get_data(ctx));
  auto fail = [&](std::string why, StatusCode code = StatusCode::kError) {
    data->host_error = entry->qualified + ": " + why;
    data->host_error_code = code;
    *error_ret = wasmtime_error_new(data->host_error.c_str());
  };
  try {
    std::vector<Value> values;
    values.reserve(entry->slots->params.size());
    std::span<const theater_slot_t> in(args, nargs);
    size_t i = 0;
    for (const wt::SlotType& t : entry->slots->params) {
      auto v = wt::FromSlots(in, i, t);
      if (!v.ok()) return fail("arguments: " + v.error());
      values.push_back(std::move(*v));
    }
    auto result = std::make_unique<FastResult>(FastResult{entry, data, results, nresults, std::nullopt, nullptr});
    if (entry->fn) {
      auto r = entry->fn(data->host_data, values);
      if (!r.ok()) return fail(r.error(), r.status().code());
      result->value = std::move(*r);
    } else {
      auto r = entry->async_fn(data->host_data, values);
      if (!r.ok()) return fail(r.error(), r.status().code());
      if (r->later) {
        std::shared_ptr<Wakeup> wakeup = data->wakeup;
        r->later->SetWaker([wakeup] { wakeup->Wake(); });
        ++data->pending_ops;
        result->later = std::move(r->later);
        continuation->callback = FastWaitingReady;
        continuation->env = result.release();
        continuation->finalizer = DeleteFastResult;
        return;
      }
      result->value = std::move(r->value);
    }
    if (Status s = FillResults(*result); !s.ok()) return fail(s.message());
    continuation->callback = FastReady;
    continuation->env = result.release();
    continuation->finalizer = DeleteFastResult;
  } catch (const std::exception& e) {
    fail(std::string("internal error: ") + e.what());
  } catch (...) {
    fail("internal error");
  }
}

}  // namespace theater
