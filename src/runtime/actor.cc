#include "runtime/actor.h"

#include "common/uuid.h"
#include "runtime/contract.h"

namespace theater {

std::string_view ActorStatusName(ActorStatus status) {
  switch (status) {
    case ActorStatus::kCreated: return "created";
    case ActorStatus::kRunning: return "running";
    case ActorStatus::kFailed: return "failed";
    case ActorStatus::kStopped: return "stopped";
  }
  return "unknown";
}

namespace {

// Every import must be a theater:simple interface that the manifest grants and that this
// runtime provides; otherwise the actor does not start, with a message saying which.
Status CheckImports(const Component& component, const Manifest& manifest, const Engine& engine) {
  for (const std::string& import : component.imports()) {
    auto handler = contract::HandlerForInterface(import);
    if (!handler)
      return Status::Error("the component imports `" + import +
                           "`, which is not part of theater:simple and is not provided by Theater");
    if (handler->empty()) continue;  // types only
    if (!manifest.Grants(*handler))
      return Status::Error("the component imports `" + import + "` but the manifest grants no `" + *handler +
                           "` handler (add [[handler]] type = \"" + *handler + "\")");
    if (!engine.Provides(import))
      return Status::Error("the component imports `" + import + "` (handler `" + *handler +
                           "`), which this version of Theater does not implement yet");
  }
  return Status::Ok();
}

ordered_json FailureJson(const Failure& f) {
  return {{"function", f.function}, {"kind", FailureKindName(f.kind)}, {"message", f.message},
          {"backtrace", f.backtrace}};
}

}  // namespace

Actor::Actor(std::shared_ptr<Engine> engine, std::shared_ptr<const Component> component, Manifest manifest,
             ActorOptions options)
    : engine_(std::move(engine)),
      component_(std::move(component)),
      options_(std::move(options)),
      context_(NewUuidV4(), std::move(manifest), options_.log_sink) {}

Actor::~Actor() = default;

Result<std::unique_ptr<Actor>> Actor::Create(std::shared_ptr<Engine> engine, Manifest manifest,
                                             ActorOptions options) {
  if (manifest.component_path.empty())
    return Status::Error(manifest.file.string() + ": field `component`: store:// references are not supported yet");
  auto component = engine->LoadComponentFile(manifest.component_path);
  if (!component.ok()) return component.status();
  THEATER_RETURN_IF_ERROR(CheckImports(**component, manifest, *engine).WithContext(manifest.file.string()));

  std::unique_ptr<Actor> actor(new Actor(std::move(engine), *component, std::move(manifest), std::move(options)));
  ActorContext& ctx = actor->context_;
  if (ctx.manifest().save_chain && !actor->options_.chain_dir.empty()) {
    auto file = ChainFileWriter::Create(actor->options_.chain_dir / (ctx.id() + ".chain"));
    if (!file.ok()) return file.status();
    actor->chain_file_ = std::move(*file);
    ChainFileWriter* writer = actor->chain_file_.get();
    ctx.chain().set_sink([writer](const ChainEvent& e) { return writer->Append(e); });
  }
  std::optional<Bytes> state = actor->options_.initial_state ? actor->options_.initial_state : ctx.manifest().init_state;
  ctx.set_state(state);
  THEATER_RETURN_IF_ERROR(ctx.Record("theater/actor-started",
                                     {{"actor_id", ctx.id()},
                                      {"name", ctx.manifest().name},
                                      {"version", ctx.manifest().version},
                                      {"manifest", std::filesystem::absolute(ctx.manifest().file).lexically_normal().string()},
                                      {"component_sha256", ToHex(actor->component_->sha256())},
                                      {"initial_state", OptionalBytesToJson(state)}}));
  return actor;
}

TurnOutcome Actor::Fail(Failure failure) {
  status_ = ActorStatus::kFailed;
  context_.Record("wasm/error", FailureJson(failure));
  return TurnOutcome{std::move(failure), {}};
}

TurnOutcome Actor::Start() {
  if (status_ != ActorStatus::kCreated)
    return TurnOutcome{Failure{FailureKind::kInstantiation, "", "actor was already started", {}}, {}};
  InstanceLimits limits;
  const ActorLimits& m = context_.manifest().limits;
  limits.fuel_per_call = m.fuel_per_call;
  limits.call_timeout_ms = m.call_timeout_ms;
  limits.max_memory_bytes = m.max_memory_bytes;
  limits.max_table_elements = m.max_table_elements;
  limits.max_instances = m.max_instances;
  auto created = Instance::Create(engine_, component_, limits, &context_);
  if (auto* failure = std::get_if<Failure>(&created)) return Fail(std::move(*failure));
  instance_ = std::move(std::get<std::unique_ptr<Instance>>(created));
  status_ = ActorStatus::kRunning;

  // actor.init comes in two shapes; the export's type says which.
  auto signature = instance_->ExportSignature(contract::kActor, "init");
  if (signature && *signature == contract::kInitStateOnly)
    return Turn(contract::kActor, "init", contract::kInitStateOnly, std::nullopt);
  return Turn(contract::kActor, "init", contract::kInitWithParams, ValueList{Value::String(id())});
}

TurnOutcome Actor::Send(const Bytes& message) {
  return Turn(contract::kMessageClient, "handle-send", contract::kHandleSend,
              ValueList{Value::BytesValue(message)});
}

TurnOutcome Actor::Request(const std::string& request_id, const Bytes& message, std::optional<Bytes>& response) {
  TurnOutcome out = Turn(contract::kMessageClient, "handle-request", contract::kHandleRequest,
                         ValueList{Value::String(request_id), Value::BytesValue(message)});
  response.reset();
  if (out.ok() && !out.results.empty() && out.results[0].is(Value::Kind::kOption) && out.results[0].has_payload())
    response = out.results[0].payload().as_bytes();
  return out;
}

TurnOutcome Actor::Turn(std::string_view interface, std::string_view function, std::string_view signature,
                        std::optional<ValueList> params) {
  std::string name = std::string(interface) + "#" + std::string(function);
  if (status_ != ActorStatus::kRunning)
    return TurnOutcome{Failure{FailureKind::kInstantiation, name,
                               "actor is " + std::string(ActorStatusName(status_)) + ", not running", {}},
                       {}};
  Status recorded = context_.Record(
      "wasm/call", {{"function", name}, {"params", params ? ValuesToJson(*params) : ordered_json(nullptr)}});
  if (!recorded.ok()) return Fail(Failure{FailureKind::kHostError, name, recorded.message(), {}});

  StateCallOutcome out = CallWithState(*instance_, interface, function, signature, context_.state(), std::move(params));
  if (!out.ok()) return Fail(out.failure());
  StateCallResult& r = out.value();
  context_.set_state(r.state);
  recorded = context_.Record("wasm/result",
                             {{"function", name}, {"state", OptionalBytesToJson(r.state)}, {"results", ValuesToJson(r.results)}});
  if (!recorded.ok()) return Fail(Failure{FailureKind::kHostError, name, recorded.message(), {}});
  return TurnOutcome{std::nullopt, std::move(r.results)};
}

void Actor::Stop(const std::string& reason) {
  if (status_ == ActorStatus::kStopped) return;
  ordered_json data = {{"reason", reason}, {"status_before", ActorStatusName(status_)}};
  if (context_.shutdown_requested()) data["shutdown_data"] = OptionalBytesToJson(context_.shutdown_data());
  context_.Record("theater/actor-stopped", data);
  instance_.reset();
  status_ = ActorStatus::kStopped;
}

}  // namespace theater
