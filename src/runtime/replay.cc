#include "runtime/replay.h"

#include <chrono>
#include <map>
#include <set>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/state_call.h"
#include "manifest/manifest.h"
#include "chain/event_data.h"
#include "chain/state_ref.h"
#include "runtime/actor_context.h"
#include "runtime/host_binding.h"
#include "runtime/contract.h"
#include "runtime/value_json.h"
#include "runtime/value_type.h"
#include "runtime/wasi_recording.h"

namespace theater {
namespace {

ordered_json Decode(const ChainEvent& e) {
  auto j = DecodeEventDataOrdered(e.data);  // the chain may come from anyone: bounded
  return j.is_discarded() ? ordered_json::object() : j;
}

std::string Describe(const std::optional<StateRef>& ref) {
  return ref ? "sha256 " + ToHex(ref->sha256) + ", " + std::to_string(ref->size) + " bytes" : "no state";
}

bool ReturnsStringError(const FuncType& f) {
  return f.result.kind == ValueType::Kind::kResult && f.result.items.size() == 2 &&
         f.result.items[1].kind == ValueType::Kind::kString;
}

class Replayer {
 public:
  Replayer(const std::vector<ChainEvent>& recorded, const ReplayOptions& options)
      : rec_(recorded),
        options_(options),
        context_(nullptr, "", Manifest{}, Permissions{}, nullptr) {}

  ReplayReport Run();
  // The report, once the replay has gone as far as it could.
  ReplayReport Finish(std::chrono::steady_clock::time_point start);

 private:
  // Records the replay's event; the first one that differs from the recording is the divergence.
  void Diverge(uint64_t seq, std::string why);
  bool diverged() const { return report_.divergence.has_value(); }
  uint64_t seq() const { return context_.chain().size(); }
  // Records the recorded event at the current position as it is (an input from outside).
  void CopyRecorded();
  Status Prepare(const ordered_json& started);
  std::optional<Failure> Instantiate();
  // WASI's inputs answered from the recording (runtime/wasi_recording.h).
  WasiHooks ReplayWasiHooks(Environment env);
  // The data of the recorded event at the current position, which must be of `type`
  // (copied into the replay's chain); nullopt after a divergence, which says why.
  std::optional<ordered_json> NextRecorded(const char* type, const std::string& what);
  // The clock readings of the recorded event being handed out (ReplayWasiHooks).
  struct Readings {
    std::string type;
    std::vector<uint64_t> values;
    size_t next = 0;
  } readings_;
  void ReplayCall(const ChainEvent& call);
  Result<std::optional<Value>> HostCall(const std::string& interface, const std::string& name, const FuncType& type,
                                        std::vector<Value>& args);
  Value ChainValue() const;
  // The state recorded event `e` starts from (initial, restarted, resumed), read from the
  // snapshots; nullopt after a divergence that says why it cannot be had.
  std::optional<std::optional<Bytes>> StartingState(const ChainEvent& e);
  // Records the replayed call's wasm/result, and checks its state against the recording.
  void RecordResult(const std::string& function, const StateCallResult& result);
  // The recording goes on at `at` with the actor revived after its process ended: the
  // turn in progress was cut off there.
  bool CutOff(uint64_t at) const { return at < rec_.size() && rec_[at].type == "theater/actor-resumed"; }
  // The recording has, at `at`, a turn ended by the runtime rather than by the component:
  // its deadline, a termination, or one of its limits.
  bool RecordedInterruption(uint64_t at) const {
    if (at >= rec_.size() || rec_[at].type != "wasm/error") return false;
    std::string kind = Decode(rec_[at]).value("kind", "");
    return kind == "deadline-exceeded" || kind == "terminated" || kind == "limit-exceeded";
  }

  const std::vector<ChainEvent>& rec_;
  const ReplayOptions& options_;
  ActorContext context_;
  std::shared_ptr<Engine> engine_;
  std::shared_ptr<const Component> component_;
  std::unique_ptr<Instance> instance_;
  InstanceLimits limits_;
  ReplayReport report_;
  std::map<std::string, Result<FuncType>> export_types_;  // parsed once per signature
  std::set<Hash> checked_snapshots_;  // recorded states whose snapshot was read and matched
};

std::optional<std::optional<Bytes>> Replayer::StartingState(const ChainEvent& e) {
  auto recorded = StateRecordedBy(e);
  if (!recorded.ok()) {
    Diverge(e.seq, recorded.error());
    return std::nullopt;
  }
  if (!recorded->ref) return std::optional<Bytes>();
  if (!options_.snapshots) {
    Diverge(e.seq, "the recording starts again from a state (" + Describe(recorded->ref) +
                       ") and no snapshots were given to read it from");
    return std::nullopt;
  }
  auto bytes = options_.snapshots->Read(*recorded->ref);
  if (!bytes.ok()) {
    Diverge(e.seq, "the recorded state cannot be read: " + bytes.error());
    return std::nullopt;
  }
  checked_snapshots_.insert(recorded->ref->sha256);
  return std::optional<Bytes>(std::move(*bytes));
}

void Replayer::RecordResult(const std::string& function, const StateCallResult& result) {
  uint64_t at = seq();
  std::optional<StateRef> ref = context_.RefOf(result.state);
  auto recorded = at < rec_.size() && rec_[at].type == "wasm/result" ? StateRecordedBy(rec_[at])
                                                                      : Result<RecordedState>(RecordedState{});
  context_.RecordWithState("wasm/result", {{"function", function}, {"state", nullptr}, {"results", ValuesToJson(result.results)}},
                           "state", result.state, ref);
  context_.set_state(result.state, ref);
  if (!recorded.ok() || !recorded->sets) return;
  // The digests say whether the component computed the recorded state.
  if (recorded->ref != ref) {
    if (report_.divergence && report_.divergence->seq == at)
      report_.divergence->why = "the replayed state (" + Describe(ref) + ") differs from the recorded one (" +
                                Describe(recorded->ref) + ")";
    return;
  }
  // And the recorded state's snapshot must hold exactly that state: read and hashed once.
  if (!ref || !options_.snapshots || !checked_snapshots_.insert(ref->sha256).second) return;
  if (auto bytes = options_.snapshots->Read(*ref); !bytes.ok())
    Diverge(at, "the snapshot of the recorded state does not hold it: " + bytes.error());
}

void Replayer::Diverge(uint64_t seq, std::string why) {
  if (diverged()) return;
  ReplayDivergence d;
  d.seq = seq;
  d.why = std::move(why);
  if (seq < rec_.size()) d.recorded = rec_[seq];
  if (seq < context_.chain().size()) d.replayed = context_.chain().events()[seq];
  report_.divergence = std::move(d);
}

void Replayer::CopyRecorded() {
  const ChainEvent& e = rec_[seq()];
  context_.RecordRaw(e.type, e.data);
}

Status Replayer::Prepare(const ordered_json& started) {
  // The component the chain says ran (its path, checked by its hash), or the one given.
  std::filesystem::path path = options_.component            ? *options_.component
                               : options_.recorded_component ? *options_.recorded_component
                                                             : std::filesystem::path(started.value("component", ""));
  if (path.empty()) return Status::Error("the chain names no component: give it with --component");
  EngineOptions engine_options;
  engine_options.cache_dir = options_.cache_dir;
  auto engine = Engine::Create(engine_options);
  if (!engine.ok()) return engine.status();
  engine_ = *engine;
  auto component = engine_->LoadComponentFile(path);
  if (!component.ok()) return component.status();
  component_ = *component;
  report_.component_sha256 = ToHex(component_->sha256());
  report_.same_component = report_.component_sha256 == started.value("component_sha256", "");
  if (!report_.same_component && !options_.component)
    return Status::Error(path.string() + " has SHA-256 " + report_.component_sha256 + ", the chain recorded " +
                         started.value("component_sha256", "") +
                         " (to replay another build on purpose, give it with --component)");
  // Every function the component imports is answered from the recording.
  // WASI's are wasmtime-wasi's, answered by the hooks (ReplayWasiHooks).
  for (const ImportedFunction& f : component_->imported_functions()) {
    if (f.interface.rfind("wasi:", 0) == 0) continue;
    auto type = ParseFuncType(f.signature);
    if (!type.ok()) return type.status();
    THEATER_RETURN_IF_ERROR(engine_->DefineFunction(
        f.interface, f.name, f.signature, [this, f, type = *type](void*, std::vector<Value>& args) {
          return HostCall(f.interface, f.name, type, args);
        }));
  }
  for (const std::string& import : component_->imports())
    if (contract::IsTypesOnly(import)) THEATER_RETURN_IF_ERROR(engine_->DefineTypesOnlyInterface(import));
  const ordered_json& l = started.contains("limits") ? started["limits"] : ordered_json::object();
  ActorLimits defaults;
  limits_.fuel_per_call = l.value("fuel_per_call", defaults.fuel_per_call);
  limits_.call_timeout_ms = l.value("call_timeout_ms", defaults.call_timeout_ms);
  limits_.max_memory_bytes = l.value("max_memory_bytes", defaults.max_memory_bytes);
  limits_.max_table_elements = l.value("max_table_elements", defaults.max_table_elements);
  limits_.max_instances = l.value("max_instances", defaults.max_instances);
  return Status::Ok();
}

std::optional<ordered_json> Replayer::NextRecorded(const char* type, const std::string& what) {
  if (diverged()) return std::nullopt;
  uint64_t at = seq();
  if (readings_.next < readings_.values.size()) {  // the recorded run of readings was longer
    Diverge(at - 1, "the component " + what + " where the recording has " +
                        std::to_string(readings_.values.size() - readings_.next) + " more readings of " +
                        readings_.type);
    return std::nullopt;
  }
  if (at >= rec_.size()) {
    Diverge(at, "the component " + what + "; the recording has no more events");
    return std::nullopt;
  }
  if (rec_[at].type != type) {
    Diverge(at, "the component " + what + " where the recording has " + rec_[at].type);
    return std::nullopt;
  }
  ordered_json data = Decode(rec_[at]);
  CopyRecorded();
  return data;
}

WasiHooks Replayer::ReplayWasiHooks(Environment env) {
  WasiHooks hooks;
  hooks.env = std::move(env);
  // A clock's readings: one event holds a run of them ({"results": [...]}, see
  // ActorContext::RecordReading), handed out one by one.
  auto clock = [this](const char* type, const char* what) -> uint64_t {
    if (readings_.type == type && readings_.next < readings_.values.size()) return readings_.values[readings_.next++];
    auto data = NextRecorded(type, what);
    if (!data) return 0;
    if (data->contains("result") && (*data)["result"].is_number_unsigned()) return (*data)["result"].get<uint64_t>();
    const ordered_json* results = data->contains("results") ? &(*data)["results"] : nullptr;
    if (!results || !results->is_array() || results->empty()) {
      Diverge(seq() - 1, std::string("the recorded ") + type + " event holds no readings");
      return 0;
    }
    readings_ = {type, {}, 1};
    for (const auto& v : *results) readings_.values.push_back(v.is_number_unsigned() ? v.get<uint64_t>() : 0);
    return readings_.values[0];
  };
  hooks.wall_now = [clock] { return clock(kWasiWallClock, "reads the wall clock"); };
  hooks.monotonic_now = [clock] { return clock(kWasiMonotonicClock, "reads the monotonic clock"); };
  hooks.random = [this](std::span<uint8_t> out) {
    std::fill(out.begin(), out.end(), 0);
    auto data = NextRecorded(kWasiRandom, "asks for " + std::to_string(out.size()) + " random bytes");
    if (!data) return;
    const auto* bytes = data->contains("result") && (*data)["result"].is_binary() ? &(*data)["result"].get_binary() : nullptr;
    if (!bytes || bytes->size() != out.size()) {
      Diverge(seq() - 1, "the component asks for " + std::to_string(out.size()) + " random bytes, the recording has " +
                             std::to_string(bytes ? bytes->size() : 0));
      return;
    }
    std::copy(bytes->begin(), bytes->end(), out.begin());
  };
  hooks.write = [this](int fd, std::span<const uint8_t> bytes) {
    const char* type = fd == 2 ? kWasiStderr : kWasiStdout;
    auto data = NextRecorded(type, std::string("writes to ") + (fd == 2 ? "stderr" : "stdout"));
    if (!data) return false;
    if (data->contains("denied")) return false;  // refused then too
    Bytes written(bytes.begin(), bytes.end());
    if (!data->contains("text") || !(*data)["text"].is_binary() || Bytes((*data)["text"].get_binary()) != written)
      Diverge(seq() - 1, "the component writes other output than the recording has");
    return true;
  };
  hooks.socket_refused = [this](const std::string& what) { NextRecorded(kWasiSocketRefused, "uses a socket (" + what + ")"); };
  return hooks;
}

std::optional<Failure> Replayer::Instantiate() {
  instance_.reset();
  // A component granted WASI had its environment recorded just before it was instantiated.
  std::optional<WasiHooks> wasi;
  if (FirstWasiImport(*component_) && seq() < rec_.size() && rec_[seq()].type == kWasiEnvironment) {
    Environment env = EnvironmentFromJson(Decode(rec_[seq()]));
    CopyRecorded();
    wasi = ReplayWasiHooks(std::move(env));
  }
  auto created = Instance::Create(engine_, component_, limits_, &context_, wasi ? &*wasi : nullptr);
  if (auto* failure = std::get_if<Failure>(&created)) return *failure;
  instance_ = std::move(std::get<std::unique_ptr<Instance>>(created));
  return std::nullopt;
}

Value Replayer::ChainValue() const {
  ValueList events;
  for (const ChainEvent& e : context_.chain().events()) {
    Value event = Value::Record({{"event-type", Value::String(e.type)},
                                 {"parent", e.parent ? Value::Some(Value::U64(ShortHash(*e.parent))) : Value::None()},
                                 {"data", Value::BytesValue(e.data)}});
    events.push_back(Value::Record({{"hash", Value::U64(ShortHash(e.hash))}, {"event", std::move(event)}}));
  }
  return Value::Record({{"events", Value::List(std::move(events))}});
}

Result<std::optional<Value>> Replayer::HostCall(const std::string& interface, const std::string& name,
                                                const FuncType& type, std::vector<Value>& args) {
  std::string event_type = interface + "/" + name;
  uint64_t at = seq();
  auto stop = [&](std::string why) -> Result<std::optional<Value>> {
    Diverge(at, std::move(why));
    return Status::Error("replay diverged");
  };
  if (diverged()) return Status::Error("replay diverged");
  if (at >= rec_.size()) return stop("the component calls " + event_type + "; the recording has no more events");
  // The process ended during this turn (a crash): what the call did next never happened.
  if (CutOff(at)) return Status::Error("the recording ends this call here (the process ended while it ran)");
  const ChainEvent& e = rec_[at];
  if (e.type != event_type) return stop("the component calls " + event_type + " where the recording has " + e.type);
  ordered_json data = Decode(e);
  ordered_json actual = WithLargeBytesByRef(ValuesToJson(args), nullptr);  // as recorded
  // A call refused before its arguments were recorded (ArgsCheck) kept only their size.
  if (data.contains("args_bytes") && !data.contains("args")) {
    if (data["args_bytes"] != ArgsBytes(args))
      return stop("the component calls " + event_type + " with " + std::to_string(ArgsBytes(args)) +
                  " bytes of arguments, the recording has " + data["args_bytes"].dump());
  } else if (data["args"] != actual)
    return stop("the component calls " + event_type + " with " + ReadableJson(actual).dump() + ", the recording has " +
                ReadableJson(data["args"]).dump());
  // get-chain's recorded result is a summary: the answer is the replayed chain itself.
  std::optional<Value> chain;
  if (interface == "theater:simple/runtime" && name == "get-chain") chain = ChainValue();
  CopyRecorded();
  // A call refused for want of a handler has no result; one its interface refused
  // (ActorContext::Deny) has the answer it gave.
  if (data.contains("denied") && !data.contains("result")) {
    std::string why = data["denied"].get<std::string>();
    if (ReturnsStringError(type)) return std::optional<Value>(Value::Err(Value::String(why)));
    return Status::Error(why);
  }
  if (data.contains("error")) return Status::Error(data["error"].get<std::string>());
  if (chain) return chain;
  ordered_json result;
  if (data.contains("result")) {
    result = data["result"];
  } else {
    // A call whose result came later: it is in the next event, "<type>/done".
    if (seq() >= rec_.size() || rec_[seq()].type != event_type + "/done")
      return Status::Error("the recording ends this call here (the actor was stopped while it waited)");
    result = Decode(rec_[seq()])["result"];
    CopyRecorded();
  }
  if (type.result.kind == ValueType::Kind::kNone) return std::optional<Value>();
  auto value = JsonToValue(result, type.result, options_.snapshots);
  if (!value.ok()) return stop("the recorded result of " + event_type + " does not fit its type: " + value.error());
  return std::optional<Value>(std::move(*value));
}

void Replayer::ReplayCall(const ChainEvent& call) {
  ordered_json data = Decode(call);
  std::string function = data.value("function", "");
  size_t hash = function.find('#');
  std::string interface = function.substr(0, hash), name = hash == std::string::npos ? "" : function.substr(hash + 1);
  CopyRecorded();  // the call and its parameters are inputs
  std::optional<ValueList> params;
  std::string signature;
  if (instance_) {
    if (auto sig = instance_->ExportSignature(interface, name)) signature = *sig;
  }
  if (!data["params"].is_null() && !signature.empty()) {
    auto cached = export_types_.find(signature);
    if (cached == export_types_.end()) cached = export_types_.emplace(signature, ParseFuncType(signature)).first;
    const Result<FuncType>& type = cached->second;
    if (!type.ok() || type->params.size() < 2) {
      Diverge(seq(), "the export " + function + " now has the signature " + signature);
      return;
    }
    auto value = JsonToValue(data["params"], type->params[1], options_.snapshots);
    if (!value.ok()) {
      Diverge(seq(), "the recorded parameters do not fit " + signature + ": " + value.error());
      return;
    }
    params = std::move(value->items());
  }
  StateCallOutcome out = instance_ ? UnpackStateResult(function, instance_->Call(interface, name,
                                                                                 StateCallArgs(context_.state(), params),
                                                                                 signature))
                                   : StateCallOutcome(Failure{FailureKind::kInstantiation, function, "no instance", {}});
  if (diverged()) return;
  // A turn cut off by the end of the process has no result in the recording; the state
  // stays the one from before it (the actor resumes from its last good state).
  if (CutOff(seq())) return;
  // A call the recording shows ended by the runtime — by its deadline, from outside, or
  // at one of its limits (log bytes, chain size) — was ended by the clock or by someone
  // else: that is an input, recorded as it was.
  if (RecordedInterruption(seq())) {
    CopyRecorded();
    return;
  }
  if (out.ok()) {
    RecordResult(function, out.value());
    return;
  }
  context_.Record("wasm/error", FailureToJson(out.failure()));
}

ReplayReport Replayer::Run() {
  auto start = std::chrono::steady_clock::now();
  if (rec_.empty() || rec_[0].type != "theater/actor-started") {
    report_.error = "the chain does not start with theater/actor-started";
    return report_;
  }
  report_.recorded_seconds = (rec_.back().timestamp_ms - rec_.front().timestamp_ms) / 1000.0;
  context_.set_clock([this] { return seq() < rec_.size() ? rec_[seq()].timestamp_ms : NowMs(); });
  context_.set_chain_sink([this](const ChainEvent& e, std::span<const uint8_t>) {
    if (e.seq >= rec_.size()) Diverge(e.seq, "the replay made more events than the recording");
    else if (e.hash != rec_[e.seq].hash) Diverge(e.seq, "the replayed event differs from the recorded one");
    return Status::Ok();
  });
  ordered_json started = Decode(rec_[0]);
  if (Status s = Prepare(started); !s.ok()) {
    report_.error = s.message();
    return report_;
  }
  auto initial = StartingState(rec_[0]);
  if (!initial) return Finish(start);
  context_.set_state(std::move(*initial));
  CopyRecorded();
  if (auto failure = Instantiate()) context_.Record("wasm/error", FailureToJson(*failure));
  while (!diverged() && seq() < rec_.size()) {
    const ChainEvent& e = rec_[seq()];
    if (e.type == "wasm/call") {
      ReplayCall(e);
    } else if (e.type == "theater/actor-restarted" || e.type == "theater/actor-resumed") {
      // A fresh instance with the recorded state; a restart's init, if any, is the next
      // recorded wasm/call (a resumed actor has none).
      auto state = StartingState(e);
      if (!state) break;
      context_.set_state(std::move(*state));
      CopyRecorded();
      if (auto failure = Instantiate()) context_.Record("wasm/error", FailureToJson(*failure));
    } else if (RecordedInterruption(seq())) {
      CopyRecorded();  // a turn refused before it began (its wasm/call did not fit the chain)
    } else if (e.type == "theater/actor-stopped") {
      CopyRecorded();
      instance_.reset();
    } else {
      Diverge(seq(), "the recording has " + e.type + " here, but the replayed component made no such call");
    }
  }
  return Finish(start);
}

ReplayReport Replayer::Finish(std::chrono::steady_clock::time_point start) {
  report_.events = seq();
  if (!diverged() && seq() < rec_.size()) Diverge(seq(), "the replay stopped short of the recording");
  report_.identical = !diverged() && context_.chain().size() == rec_.size();
  if (report_.divergence) report_.events = report_.divergence->seq;
  report_.head = context_.chain().head();
  report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report_;
}

}  // namespace

ReplayReport Replay(const std::vector<ChainEvent>& recorded, const ReplayOptions& options) {
  Replayer replayer(recorded, options);
  return replayer.Run();
}

}  // namespace theater
