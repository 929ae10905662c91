#include "runtime/actor.h"

#include <algorithm>

#include "runtime/actor_system.h"
#include "runtime/chain_state.h"
#include "runtime/contract.h"
#include "runtime/wasi_recording.h"

namespace theater {

std::string_view ActorStatusName(ActorStatus status) {
  switch (status) {
    case ActorStatus::kStarting: return "starting";
    case ActorStatus::kRunning: return "running";
    case ActorStatus::kRestarting: return "restarting";
    case ActorStatus::kFailed: return "failed";
    case ActorStatus::kStopped: return "stopped";
  }
  return "unknown";
}

namespace {

// How many turns a worker runs of one actor before it lets the next actor have the thread.
constexpr int kTurnsPerSlice = 32;

std::string StopReason(StopOrigin origin) {
  switch (origin) {
    case StopOrigin::kOutside: return "stopped";
    case StopOrigin::kParent: return "stopped by its supervisor";
    case StopOrigin::kParentStopping: return "its supervisor stopped";
    case StopOrigin::kRestart: return "restarting";
    case StopOrigin::kShutdown: return "system shutdown";
    case StopOrigin::kEscalation: return "failed";
  }
  return "stopped";
}

// What each kind of message calls: the export, its signature and its parameters.
struct Target {
  std::string_view interface, function, signature;
  std::optional<ValueList> params;
};

Value ActorErrorValue(const Envelope& e) {
  return Value::Record({{"error-type", Value::Enum(e.error_type)},
                        {"data", Value::Some(Value::BytesValue(e.payload))}});
}

Target TargetOf(const Envelope& e, Instance& instance, const std::string& actor_id) {
  using K = Envelope::Kind;
  switch (e.kind) {
    case K::kInit: {
      // actor.init comes in two shapes; the export's type says which.
      auto signature = instance.ExportSignature(contract::kActor, "init");
      if (signature && *signature == contract::kInitStateOnly)
        return {contract::kActor, "init", contract::kInitStateOnly, std::nullopt};
      return {contract::kActor, "init", contract::kInitWithParams, ValueList{Value::String(actor_id)}};
    }
    case K::kSend:
      return {contract::kMessageClient, "handle-send", contract::kHandleSend, ValueList{Value::BytesValue(e.payload)}};
    case K::kRequest:
      return {contract::kMessageClient, "handle-request", contract::kHandleRequest,
              ValueList{Value::String(e.id), Value::BytesValue(e.payload)}};
    case K::kChannelOpen:
      return {contract::kMessageClient, "handle-channel-open", contract::kHandleChannelOpen,
              ValueList{Value::String(e.id), Value::BytesValue(e.payload)}};
    case K::kChannelMessage:
      return {contract::kMessageClient, "handle-channel-message", contract::kHandleChannelMessage,
              ValueList{Value::String(e.id), Value::BytesValue(e.payload)}};
    case K::kChannelClose:
      return {contract::kMessageClient, "handle-channel-close", contract::kHandleChannelClose,
              ValueList{Value::String(e.id)}};
    case K::kChildError:
      return {contract::kSupervisorHandlers, "handle-child-error", contract::kHandleChildError,
              ValueList{Value::String(e.id), ActorErrorValue(e)}};
    case K::kChildExit:
      return {contract::kSupervisorHandlers, "handle-child-exit", contract::kHandleChildExit,
              ValueList{Value::String(e.id), e.has_payload ? Value::Some(Value::BytesValue(e.payload)) : Value::None()}};
    case K::kChildExternalStop:
      return {contract::kSupervisorHandlers, "handle-child-external-stop", contract::kHandleChildExternalStop,
              ValueList{Value::String(e.id)}};
    case K::kExport:
      return {e.export_call->interface, e.export_call->function, e.export_call->signature, e.export_call->params};
  }
  return {};
}

}  // namespace

Actor::Actor(ActorSystem* system, std::string id, std::string parent, std::string tree_root, Manifest manifest,
             Permissions permissions, std::shared_ptr<const Component> component,
             std::shared_ptr<ChainStore::Sink> sink, ActorContext::LogSink log_sink)
    : system_(system),
      id_(id),
      parent_(std::move(parent)),
      tree_root_(std::move(tree_root)),
      component_(std::move(component)),
      sink_(std::move(sink)),
      context_(system, std::move(id), std::move(manifest), std::move(permissions), std::move(log_sink)) {
  // States go beside the chain file, or stay in memory with a chain that does.
  if (sink_) context_.set_snapshot_store(sink_);
  else context_.set_snapshot_store(std::make_shared<MemorySnapshotStore>());
  ChainStore::Sink* raw = sink_.get();
  context_.set_chain_sink([raw, system, this](const ChainEvent& e, std::span<const uint8_t> encoding) {
    if (raw) raw->Append(e, encoding);
    if (system) system->PublishEvent(id_, e);
    return Status::Ok();
  });
  if (sink_) {
    // An actor whose chain cannot be written stops: it could no longer prove what it did.
    context_.set_flush([this] {
      Status s = system_->chain_store().Flush(*sink_);
      if (!s.ok())
        RequestTermination(StopOrigin::kOutside,
                           Failure{FailureKind::kHostError, "", "its chain could not be written: " + s.message(), {}});
      return s;
    });
  }
}

Actor::~Actor() {
  turn_.reset();  // a pending call must go before its instance
  instance_.reset();
}

std::optional<Failure> Actor::Start(std::shared_ptr<Engine> engine, std::optional<Bytes> initial_state,
                                    bool call_init, const std::optional<Cause>& cause) {
  const Manifest& m = context_.manifest();
  initial_state_ = initial_state;
  context_.set_state(initial_state);
  state_snapshot_ = initial_state;
  ordered_json started = {{"actor_id", id_},
                          {"name", m.name},
                          {"version", m.version},
                          {"manifest", m.file.string()},
                          {"component", m.component_path.string()},
                          {"component_sha256", ToHex(component_->sha256())},
                          {"initial_state", nullptr},  // its reference, set by RecordWithState
                          {"init", call_init},
                          {"limits",
                           {{"fuel_per_call", m.limits.fuel_per_call},
                            {"call_timeout_ms", m.limits.call_timeout_ms},
                            {"max_memory_bytes", m.limits.max_memory_bytes},
                            {"max_table_elements", m.limits.max_table_elements},
                            {"max_instances", m.limits.max_instances},
                            {"max_log_bytes_per_turn", m.limits.max_log_bytes_per_turn},
                            {"max_chain_bytes", m.limits.max_chain_bytes}}}};
  if (!parent_.empty()) started["parent"] = parent_;
  if (cause) started["cause"] = cause->ToJson();
  context_.RecordWithState("theater/actor-started", std::move(started), "initial_state", context_.state(),
                           context_.RefOf(context_.state()));
  return Instantiate(std::move(engine), call_init);
}

std::optional<Failure> Actor::Restart(std::shared_ptr<Engine> engine, bool last_good_state, const std::string& why) {
  std::optional<Bytes> state;
  uint32_t restart;
  {
    std::lock_guard lock(mu_);
    if (sched_ != Sched::kDone) return Failure{FailureKind::kInstantiation, "restart", "actor is still running", {}};
    state = last_good_state ? state_snapshot_ : initial_state_;
    restart = ++restarts_;
    stop_requested_.reset();
    terminate_requested_.reset();
    termination_failure_.reset();
    woken_ = false;
    status_ = ActorStatus::kStarting;
    sched_ = Sched::kIdle;
    state_snapshot_ = state;
  }
  context_.ResetForRestart();
  context_.set_state(state);
  context_.RecordWithState("theater/actor-restarted", {{"restart", restart}, {"reason", why}, {"state", nullptr}}, "state",
                           context_.state(), context_.RefOf(context_.state()));
  return Instantiate(std::move(engine), true);
}

Status Actor::RestoreChain(std::vector<ChainEvent> events) {
  // A restart from its initial state starts from the one it was first given, and the
  // restarts go on counting.
  auto initial = StateAtEvent(events, 0, *context_.snapshot_store());
  if (!initial.ok()) return initial.status();
  uint32_t restarts = static_cast<uint32_t>(std::count_if(
      events.begin(), events.end(), [](const ChainEvent& e) { return e.type == "theater/actor-restarted"; }));
  THEATER_RETURN_IF_ERROR(context_.RestoreChain(std::move(events)));
  initial_state_ = std::move(*initial);
  std::lock_guard lock(mu_);
  restarts_ = restarts;
  return Status::Ok();
}

std::optional<Failure> Actor::Revive(std::shared_ptr<Engine> engine, std::optional<Bytes> state,
                                     const std::string& reason) {
  size_t events = context_.Head().first;
  {
    std::lock_guard lock(mu_);
    state_snapshot_ = state;
  }
  context_.set_state(state);
  ordered_json after = events > 0 ? ordered_json(events - 1) : ordered_json(nullptr);
  context_.RecordWithState("theater/actor-resumed", {{"reason", reason}, {"state", nullptr}, {"after", after}}, "state",
                           context_.state(), context_.RefOf(context_.state()));
  return Instantiate(std::move(engine), /*call_init=*/false);
}

std::optional<Failure> Actor::Instantiate(std::shared_ptr<Engine> engine, bool call_init) {
  const ActorLimits& m = context_.manifest().limits;
  InstanceLimits limits;
  limits.fuel_per_call = m.fuel_per_call;
  limits.call_timeout_ms = m.call_timeout_ms;
  limits.max_memory_bytes = m.max_memory_bytes;
  limits.max_table_elements = m.max_table_elements;
  limits.max_instances = m.max_instances;
  // A component that imports WASI and is granted it: its environment is recorded first,
  // and its clocks, random bytes and output go through the chain (runtime/wasi_recording.h).
  std::optional<WasiHooks> wasi;
  if (FirstWasiImport(*component_) && context_.permissions().Allows("wasi")) {
    Environment env = WasiEnvironment(context_.permissions());
    context_.Record(kWasiEnvironment, EnvironmentToJson(env));
    wasi = LiveWasiHooks(context_, std::move(env));
  }
  auto created = Instance::Create(std::move(engine), component_, limits, &context_, wasi ? &*wasi : nullptr);
  if (auto* failure = std::get_if<Failure>(&created)) {
    Fail(*failure, std::nullopt);
    return *failure;
  }
  instance_ = std::move(std::get<std::unique_ptr<Instance>>(created));
  std::weak_ptr<Actor> weak = weak_from_this();
  instance_->SetWaker([weak] {
    if (auto self = weak.lock()) self->Wake();
  });
  {
    std::lock_guard lock(mu_);
    status_ = ActorStatus::kRunning;
    if (call_init) {
      mailbox_.push_front(Envelope{Envelope::Kind::kInit, {}, "", std::nullopt});
      ScheduleLocked();
    }
  }
  NotifyChanged();
  return std::nullopt;
}

void Actor::WhenChanged(std::function<void()> changed) {
  std::lock_guard lock(mu_);
  when_changed_.push_back(std::move(changed));
}

void Actor::NotifyChanged() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mu_);
    callbacks.swap(when_changed_);
  }
  for (auto& changed : callbacks) changed();
}

void Actor::ScheduleLocked() {
  if (sched_ == Sched::kIdle || sched_ == Sched::kWaiting) {
    sched_ = Sched::kQueued;
    system_->Schedule(shared_from_this());
  }
}

Status Actor::Reserve(size_t capacity) {
  std::lock_guard lock(mu_);
  if (status_ != ActorStatus::kRunning || finishing_ || stop_requested_ || terminate_requested_)
    return Status::Error("actor " + id_ + " is " +
                         std::string(status_ == ActorStatus::kRunning ? "stopping" : ActorStatusName(status_)));
  if (mailbox_.size() + reserved_ >= capacity)
    return Status::Error("mailbox of actor " + id_ + " is full (" + std::to_string(capacity) + " messages)");
  ++reserved_;
  return Status::Ok();
}

void Actor::Commit(Envelope envelope) {
  {
    std::lock_guard lock(mu_);
    --reserved_;
    if (sched_ != Sched::kDone && !finishing_) {
      mailbox_.push_back(std::move(envelope));
      ScheduleLocked();
      return;
    }
  }
  // It stopped in between: the message meets the same end as the ones in its mailbox.
  FailReply(envelope, "actor " + id_ + " stopped before handling the message");
}

void Actor::Unreserve() {
  std::lock_guard lock(mu_);
  --reserved_;
}

Status Actor::Enqueue(Envelope envelope, size_t capacity) {
  THEATER_RETURN_IF_ERROR(Reserve(capacity));
  Commit(std::move(envelope));
  return Status::Ok();
}

void Actor::Notify(Envelope notice) {
  std::lock_guard lock(mu_);
  if (sched_ == Sched::kDone || finishing_ || status_ != ActorStatus::kRunning) return;
  mailbox_.push_back(std::move(notice));
  ScheduleLocked();
}

void Actor::RequestStop(StopOrigin origin) {
  std::lock_guard lock(mu_);
  if (sched_ == Sched::kDone) return;
  if (!stop_requested_) stop_requested_ = origin;
  if (sched_ == Sched::kIdle) ScheduleLocked();  // a waiting turn finishes first
}

void Actor::RequestTermination(StopOrigin origin, std::optional<Failure> failure) {
  std::lock_guard lock(mu_);
  if (sched_ == Sched::kDone) return;
  if (!terminate_requested_) {
    terminate_requested_ = origin;
    termination_failure_ = std::move(failure);
  }
  if (instance_) instance_->RequestTermination();
  ScheduleLocked();
}

void Actor::Wake() {
  std::lock_guard lock(mu_);
  if (sched_ == Sched::kWaiting || sched_ == Sched::kIdle) ScheduleLocked();
  else woken_ = true;
}

void Actor::MarkRestarting() {
  std::lock_guard lock(mu_);
  if (sched_ == Sched::kDone) status_ = ActorStatus::kRestarting;
}

bool Actor::FinishedSince(uint64_t lifetime) {
  std::lock_guard lock(mu_);
  return lifetimes_ != lifetime;
}

SliceEnd Actor::RunSlice() {
  uint64_t lifetime;
  {
    std::lock_guard lock(mu_);
    if (sched_ == Sched::kDone) return SliceEnd::kDone;
    sched_ = Sched::kRunning;
    woken_ = false;
    lifetime = lifetimes_;
  }
  for (int n = 0; n < kTurnsPerSlice; ++n) {
    std::optional<StopOrigin> terminate, stop;
    std::optional<Failure> termination_failure;
    {
      std::lock_guard lock(mu_);
      terminate = terminate_requested_;
      stop = stop_requested_;
      termination_failure = termination_failure_;
    }
    if (terminate) {
      if (turn_) {
        Turn turn = std::move(*turn_);
        turn_.reset();
        turn.call.reset();  // abandons the call where it runs or waits
        context_.Record("wasm/error", FailureToJson(termination_failure.value_or(
                                          Failure{FailureKind::kTerminated, turn.function, "terminated while running", {}})));
        context_.ReleaseEffects();
        context_.Flush();  // the error leaves after its event is written
        FailReply(turn.envelope, "actor " + id_ + " was terminated");
      }
      if (termination_failure) Finish("failed", *terminate, termination_failure);
      else Finish("terminated", *terminate);
      return SliceEnd::kDone;
    }
    if (!turn_) {
      if (stop) {
        // Its children stop first; the last one to finish wakes it.
        if (system_->HasLiveChildren(id_)) {
          std::lock_guard lock(mu_);
          if (woken_) {
            sched_ = Sched::kQueued;
            return SliceEnd::kReady;
          }
          sched_ = Sched::kIdle;
          return SliceEnd::kDone;
        }
        Finish(StopReason(*stop), *stop);
        return SliceEnd::kDone;
      }
      Envelope next;
      {
        std::lock_guard lock(mu_);
        if (mailbox_.empty()) {
          sched_ = Sched::kIdle;
          return SliceEnd::kDone;
        }
        next = std::move(mailbox_.front());
        mailbox_.pop_front();
      }
      BeginTurn(std::move(next));
      if (!turn_) {
        if (FinishedSince(lifetime)) return SliceEnd::kDone;
        continue;
      }
    }
    {
      std::lock_guard lock(mu_);
      woken_ = false;
    }
    PendingCall::Progress progress = turn_->call->Poll();
    if (progress == PendingCall::Progress::kDone) {
      CallOutcome outcome = turn_->call->TakeOutcome();
      FinishTurn(std::move(outcome));
      if (FinishedSince(lifetime)) return SliceEnd::kDone;
      continue;
    }
    std::lock_guard lock(mu_);
    if (progress == PendingCall::Progress::kBlocked && !woken_ && !terminate_requested_) {
      sched_ = Sched::kWaiting;
      return SliceEnd::kDone;
    }
    sched_ = Sched::kQueued;
    // Woken while it waited: ready at once. Yielded: it used up its time slice.
    return progress == PendingCall::Progress::kBlocked ? SliceEnd::kReady : SliceEnd::kYielded;
  }
  std::lock_guard lock(mu_);
  sched_ = Sched::kQueued;
  return SliceEnd::kYielded;  // ran its most turns in a row: others get a turn first
}

void Actor::BeginTurn(Envelope envelope) {
  Target target = TargetOf(envelope, *instance_, id_);
  std::string function = std::string(target.interface) + "#" + std::string(target.function);
  if (envelope.kind == Envelope::Kind::kRequest) system_->requests().MarkHandling(envelope.id);
  // Written as CBOR directly: the params may carry a large payload (one copy, no tree).
  EventWriter call;  // a large payload by reference
  CborWriter& w = call.w;
  w.Map(envelope.cause ? 3 : 2);
  w.Key("function");
  w.Text(function);
  w.Key("params");
  if (target.params) WriteValues(w, *target.params);
  else w.Null();
  if (envelope.cause) {
    w.Key("cause");
    w.Raw(ordered_json::to_cbor(envelope.cause->ToJson()));
  }
  context_.BeginTurn(envelope.kind == Envelope::Kind::kRequest ? envelope.wait_path : nullptr);
  auto recorded = context_.RecordRaw("wasm/call", std::move(call.data), call.refs);
  turn_ = Turn{std::move(envelope), std::move(function), nullptr};
  // Nothing runs that the chain could not record.
  if (!recorded.ok()) {
    FinishTurn(Failure{FailureKind::kLimitExceeded, turn_->function, recorded.error(), {}});
    return;
  }
  // A durable send is acknowledged once this event is written out, with the turn's
  // other effects (if that fails, the ack is dropped and says so).
  if (turn_->envelope.recorded)
    context_.Defer([ack = std::move(turn_->envelope.recorded)] { ack->Tell(Status::Ok()); });
  ValueList args = StateCallArgs(context_.state(), std::move(target.params));
  auto started = instance_->StartCall(target.interface, target.function, std::move(args), target.signature);
  if (auto* failure = std::get_if<Failure>(&started)) {
    FinishTurn(std::move(*failure));
    return;
  }
  turn_->call = std::move(std::get<std::unique_ptr<PendingCall>>(started));
}

void Actor::FinishTurn(CallOutcome outcome) {
  Turn turn = std::move(*turn_);
  turn_.reset();
  turn.call.reset();
  context_.RecordAwaitedIfDone();
  StateCallOutcome result = UnpackStateResult(turn.function, std::move(outcome));
  if (!result.ok()) {
    Fail(result.failure(), std::move(turn.envelope));
    return;
  }
  StateCallResult& r = result.value();
  // An unchanged state is compared with the one before, not hashed; a changed one is
  // hashed once, and stored unless a snapshot of it exists.
  std::optional<StateRef> state_ref = context_.RefOf(r.state);
  // {"function", "state" (its reference), "results"}, written without a JSON tree (a
  // response may be large).
  EventWriter event;  // a large response by reference
  CborWriter& w = event.w;
  w.Map(3);
  w.Key("function");
  w.Text(turn.function);
  w.Key("state");
  WriteStateRef(w, state_ref);
  w.Key("results");
  WriteValues(w, r.results);
  auto recorded = context_.RecordWithStateRaw("wasm/result", std::move(event.data), r.state, state_ref, event.refs);
  // A result the chain cannot hold did not happen: the state stays the one from before.
  if (!recorded.ok()) {
    Fail(Failure{FailureKind::kLimitExceeded, turn.function, recorded.error(), {}}, std::move(turn.envelope));
    return;
  }
  context_.set_state(r.state, state_ref);
  {
    std::lock_guard lock(mu_);
    state_snapshot_ = r.state;
  }
  Hash result_event = recorded.ok() ? *recorded : Hash{};
  bool answers = turn.envelope.kind == Envelope::Kind::kRequest || turn.envelope.kind == Envelope::Kind::kChannelOpen ||
                 turn.envelope.kind == Envelope::Kind::kExport;
  Envelope answer_to{turn.envelope.kind, {}, turn.envelope.id, std::nullopt};
  answer_to.export_call = turn.envelope.export_call;
  if (answers) {
    context_.Defer([this, envelope = std::move(turn.envelope), r = std::move(r), result_event] {
      Reply(envelope, r, result_event);
    });
  }
  // The answer was dropped with the turn's other effects: the caller hears why instead.
  if (!context_.ReleaseEffects() && answers) FailReply(answer_to, "actor " + id_ + " could not write its chain");
  if (context_.shutdown_requested()) Finish("shutdown", StopOrigin::kOutside);
}

void Actor::Reply(const Envelope& envelope, const StateCallResult& result, const Hash& result_event) {
  Cause cause{id_, result_event};
  switch (envelope.kind) {
    case Envelope::Kind::kRequest:
      // No response parks the request, until respond-to-request or cancel-request. (An
      // answer given during the turn with respond-to-request has already ended it.)
      if (!result.results.empty() && result.results[0].has_payload())
        system_->requests().Complete(envelope.id, RequestResult::Response(result.results[0].payload().as_bytes(), cause));
      else
        system_->requests().MarkParked(envelope.id);
      break;
    case Envelope::Kind::kChannelOpen: {
      bool accepted = false;
      std::optional<Bytes> message;
      if (!result.results.empty() && result.results[0].is(Value::Kind::kRecord)) {
        for (const auto& field : result.results[0].fields()) {
          if (field.name == "accepted") accepted = field.value.as_bool();
          if (field.name == "message" && field.value.has_payload()) message = field.value.payload().as_bytes();
        }
      }
      system_->AnswerChannelOpen(envelope.id, id_, accepted, message, cause);
      break;
    }
    case Envelope::Kind::kExport:
      if (envelope.export_call->done) envelope.export_call->done(result.results);
      break;
    default:
      break;
  }
}

void Actor::FailReply(const Envelope& envelope, const std::string& why) {
  if (envelope.kind == Envelope::Kind::kRequest) system_->requests().Complete(envelope.id, RequestResult::Error(why));
  if (envelope.kind == Envelope::Kind::kChannelOpen)
    system_->AnswerChannelOpen(envelope.id, id_, false, ToBytes(why), std::nullopt);
  if (envelope.kind == Envelope::Kind::kExport && envelope.export_call->done)
    envelope.export_call->done(Status::Error(why));
}

void Actor::Fail(const Failure& failure, std::optional<Envelope> envelope) {
  context_.Record("wasm/error", FailureToJson(failure));
  context_.ReleaseEffects();  // what the turn did before it failed was recorded: it happened
  context_.Flush();           // and the failure is written before anyone hears of it
  if (failure.kind == FailureKind::kTerminated) {
    StopOrigin origin;
    {
      std::lock_guard lock(mu_);
      origin = terminate_requested_.value_or(StopOrigin::kOutside);
    }
    if (envelope) FailReply(*envelope, "actor " + id_ + " was terminated");
    Finish("terminated", origin);
    return;
  }
  if (envelope) FailReply(*envelope, "actor " + id_ + " failed: " + failure.Describe());
  Finish("failed", StopOrigin::kOutside, failure);
}

void Actor::Finish(std::string reason, StopOrigin origin, std::optional<Failure> failure) {
  std::deque<Envelope> undelivered;
  // Told before the status changes, so whoever sees the failed status has heard of it.
  if (failure && !finished()) system_->NotifyFailure(id_, *failure);
  {
    std::lock_guard lock(mu_);
    if (sched_ == Sched::kDone || finishing_) return;
    finishing_ = true;  // from here on the mailbox takes nothing
    undelivered.swap(mailbox_);
  }
  // The stop is recorded (and announced) before anyone can see the actor as finished: a
  // supervisor waiting for its children stops after them, in its chain too.
  ordered_json data = {{"reason", reason}, {"undelivered", undelivered.size()}};
  if (failure) data["failure"] = FailureToJson(*failure);
  if (context_.shutdown_requested()) data["shutdown_data"] = OptionalBytesToJson(context_.shutdown_data());
  context_.Record("theater/actor-stopped", data);
  context_.ReleaseEffects();
  if (sink_) system_->chain_store().Release(*sink_);  // written out: its file can close
  for (const Envelope& e : undelivered) FailReply(e, "actor " + id_ + " stopped before handling the message");
  turn_.reset();
  instance_.reset();
  // What host interfaces hold for it (servers, processes) goes with the instance: a
  // restarted actor starts without them, as its fresh instance expects.
  context_.ReleaseHostState();
  system_->NotifyFinished(id_, reason);
  {
    std::lock_guard lock(mu_);
    // The final status shows only once the stop is in the chain: whoever sees it can read it.
    status_ = failure ? ActorStatus::kFailed : ActorStatus::kStopped;
    stop_reason_ = reason;
    if (failure) failure_ = failure;
    sched_ = Sched::kDone;
    finishing_ = false;
    ++lifetimes_;
  }
  FinishInfo info{std::move(reason), origin, std::move(failure), context_.shutdown_requested(), context_.shutdown_data()};
  system_->OnActorFinished(shared_from_this(), info);
  NotifyChanged();
}

bool Actor::Exports(std::string_view interface) const {
  const auto& exports = component_->exports();
  return std::find(exports.begin(), exports.end(), std::string(interface)) != exports.end();
}

bool Actor::finished() {
  std::lock_guard lock(mu_);
  return sched_ == Sched::kDone;
}

ActorStatus Actor::status() {
  std::lock_guard lock(mu_);
  return status_;
}

ActorInfo Actor::Info(bool with_state) {
  ActorInfo info;
  info.id = id_;
  info.name = context_.manifest().name;
  info.parent = parent_;
  info.manifest_path = context_.manifest().file;
  auto [events, head] = context_.Head();
  info.events = events;
  info.head = head;
  info.chain_path = sink_ ? sink_->path() : std::filesystem::path();
  std::lock_guard lock(mu_);
  info.status = status_;
  if (with_state) info.state = state_snapshot_;
  info.failure = failure_;
  info.stop_reason = stop_reason_;
  info.restarts = restarts_;
  info.mailbox = mailbox_.size();
  return info;
}

std::vector<ChainEvent> Actor::Events() { return context_.CopyEvents(); }

std::shared_ptr<const SnapshotSource> Actor::Snapshots() const { return context_.snapshot_store(); }

}  // namespace theater
