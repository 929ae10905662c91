// What host functions see of the actor that calls them: its identity, manifest, state and
// chain, the actor system it lives in, and the few requests an actor can make of its
// runtime (log, shut down). Touched only by the worker running the actor's turn.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "chain/chain.h"
#include "chain/state_ref.h"
#include "common/bytes.h"
#include "engine/host_op.h"
#include "manifest/manifest.h"
#include "runtime/envelope.h"
#include "runtime/permissions.h"
#include "runtime/value_json.h"
#include "storage/snapshot_store.h"

namespace theater {

class ActorSystem;
class HostServices;
class MessageRouter;

// An async host call that the actor's turn waits for. Whoever ends it calls Complete();
// the runtime then records "<event_type>/done" with the result before the actor resumes.
class AwaitedCall {
 public:
  AwaitedCall(std::string event_type, ordered_json details)
      : event_type_(std::move(event_type)), details_(std::move(details)), op_(std::make_shared<HostOp>()) {}

  // Any thread; the first call wins. `recorded` is how the chain shows the result.
  bool Complete(Value result, ordered_json recorded, std::optional<Cause> cause);

  const std::shared_ptr<HostOp>& op() const { return op_; }
  const std::string& event_type() const { return event_type_; }
  // The data of the "/done" event: the details, "result" and "cause".
  ordered_json DoneData();

 private:
  std::string event_type_;
  ordered_json details_;
  std::shared_ptr<HostOp> op_;
  std::mutex mu_;
  bool completed_ = false;
  ordered_json recorded_;
  std::optional<Cause> cause_;
};

class ActorContext {
 public:
  using LogSink = std::function<void(const std::string& actor_id, const std::string& line)>;

  ActorContext(ActorSystem* system, std::string id, Manifest manifest, Permissions permissions, LogSink log_sink)
      : system_(system),
        id_(std::move(id)),
        manifest_(std::move(manifest)),
        permissions_(std::move(permissions)),
        log_sink_(std::move(log_sink)) {}

  ActorSystem& system() { return *system_; }
  // What host interfaces use of the system (runtime/host_services.h).
  HostServices& services();
  // How its messages find their way (runtime/message_router.h).
  MessageRouter& router();
  bool has_system() const { return system_ != nullptr; }
  const std::string& id() const { return id_; }
  const Manifest& manifest() const { return manifest_; }
  const Permissions& permissions() const { return permissions_; }

  const std::optional<Bytes>& state() const { return state_; }
  // `ref`, when given, is the state's reference (RefOf): it is not hashed again.
  void set_state(std::optional<Bytes> state, std::optional<std::optional<StateRef>> ref = std::nullopt) {
    state_ = std::move(state);
    state_ref_ = std::move(ref);
  }
  // The reference to `state` (its SHA-256 and size). A state equal to the current one
  // reuses its reference: an unchanged state is compared, not hashed again.
  std::optional<StateRef> RefOf(const std::optional<Bytes>& state);

  // Where the states the chain names are kept (the snapshot file beside the chain file,
  // or memory). Without one (a replay) states are named but not stored.
  void set_snapshot_store(std::shared_ptr<SnapshotStore> store) { snapshots_ = std::move(store); }
  const std::shared_ptr<SnapshotStore>& snapshot_store() const { return snapshots_; }

  // The chain; only the actor's own worker appends to it (through Record) and reads it
  // without a lock. Other threads use CopyEvents / Head.
  const Chain& chain() const { return chain_; }
  void set_chain_sink(Chain::Sink sink) { chain_.set_sink(std::move(sink)); }
  std::vector<ChainEvent> CopyEvents() const;
  std::pair<size_t, std::optional<Hash>> Head() const;
  // An earlier run's events, which the next Record continues (see Chain::Restore).
  Status RestoreChain(std::vector<ChainEvent> events);
  // Appends an event whose data is `data` encoded as CBOR, stamped with the current time.
  // Returns the event's hash. In an actor system the chain may hold at most
  // max_chain_bytes: past it only the actor's lifecycle events ("theater/..."), its
  // failure ("wasm/error") and the results of calls it already made ("…/done") are
  // recorded; anything else is refused with LimitExceeded.
  // A byte string of kMinBytesByRef or more in `data` is recorded by reference (its bytes
  // go to the snapshot store, as a state's do): the chain does not grow with payloads.
  Result<Hash> Record(std::string type, const ordered_json& data);
  // Records an event that names a state: `data[field]` is set to the reference `ref` to
  // `state` (RefOf), and the state goes to the snapshot store first unless it is there
  // already. The chain limit counts the new snapshot's bytes with the event's, and a
  // state larger than kMaxSnapshotBytes is refused (LimitExceeded), as a chain too large.
  Result<Hash> RecordWithState(std::string type, ordered_json data, const char* field, const std::optional<Bytes>& state,
                               const std::optional<StateRef>& ref);
  // The same with the event's data already CBOR (it names `ref` itself: WriteStateRef),
  // and the byte strings it names by reference (CborWriter::WriteLargeBytesByRef).
  Result<Hash> RecordWithStateRaw(std::string type, Bytes data, const std::optional<Bytes>& state,
                                  const std::optional<StateRef>& ref, std::span<const BytesByRef> refs = {});
  // Appends an event with `data` as it is (replay copies recorded inputs this way), after
  // storing the bytes of `refs`, the byte strings it names by reference.
  Result<Hash> RecordRaw(std::string type, Bytes data, std::span<const BytesByRef> refs = {}) {
    return RecordWithStateRaw(std::move(type), std::move(data), std::nullopt, std::nullopt, refs);
  }
  // Records one reading of a clock (`type` is its event type). Consecutive readings of the
  // same clock are one event, {"results": [v, …]}, appended before the next event of any
  // other kind, or when it holds kMaxBatchedReadings. (JavaScript's engine reads the
  // monotonic clock about 7 times per call: 7 events were most of a call's cost.)
  void RecordReading(const char* type, uint64_t value);
  static constexpr size_t kMaxBatchedReadings = 512;
  // Where event timestamps come from (replay uses the recorded ones); default: the clock.
  void set_clock(std::function<uint64_t()> clock) { clock_ = std::move(clock); }

  // A log line leaves the actor like any effect: after the events before it are written.
  void Log(const std::string& line) {
    if (log_sink_) Defer([this, line] { log_sink_(id_, line); });
  }
  // A turn may log at most max_log_bytes_per_turn (each line counts kLogLineOverhead more):
  // LimitExceeded when `line_bytes` more would pass it. BeginTurn starts the count anew.
  static constexpr uint64_t kLogLineOverhead = 64;
  Status ChargeLog(uint64_t line_bytes);
  void BeginTurn(WaitPath wait_path = nullptr) {
    log_bytes_this_turn_ = 0;
    wait_path_ = std::move(wait_path);
  }
  // The actors waiting on this turn's request, through others (see Envelope::wait_path).
  const WaitPath& wait_path() const { return wait_path_; }

  // runtime.shutdown: the actor stops once the current call returns.
  void RequestShutdown(std::optional<Bytes> data) {
    shutdown_requested_ = true;
    shutdown_data_ = std::move(data);
  }
  bool shutdown_requested() const { return shutdown_requested_; }
  const std::optional<Bytes>& shutdown_data() const { return shutdown_data_; }
  // A restart begins anew: no shutdown asked for, nothing awaited.
  void ResetForRestart() {
    shutdown_requested_ = false;
    shutdown_data_.reset();
    awaited_.reset();
  }

  // Effects of the turn (a message to another actor, an answer, a log line) wait until
  // the events that caused them are written: Defer queues one, ReleaseEffects writes the
  // actor's events out and then lets the queued effects go, in order.
  // ReleaseEffects is false when the events could not be written (the effects are dropped).
  void Defer(std::function<void()> effect) { deferred_.push_back(std::move(effect)); }
  bool ReleaseEffects();
  // A turn that does many things lets them go in groups (a group commit every 64 effects),
  // so that its messages flow while it runs. Called once a host call's event is recorded
  // (never from Defer: the effect's own event may not be recorded yet).
  void ReleaseEffectsIfMany() {
    if (deferred_.size() >= 64) ReleaseEffects();
  }
  // Writes the actor's recorded events out. When that fails, the queued effects are
  // dropped, never let go: nothing leaves that is not durable.
  void set_flush(std::function<Status()> flush) { flush_ = std::move(flush); }
  Status Flush() { return flush_ ? flush_() : Status::Ok(); }

  // A host function that refuses what the actor asked for (a path outside its directory,
  // a host it may not reach) says why here; the call's event then carries "denied" next
  // to its result, so the chain shows the refusal as one. The function still returns its
  // answer (usually err(why)). Used by DefineActorFunction.
  void Deny(std::string why) { denial_ = std::move(why); }
  std::optional<std::string> TakeDenial() { return std::exchange(denial_, std::nullopt); }

  // State a host interface keeps per actor (a random generator, open files...), created on
  // first use.
  template <typename T>
  T& HostState(const std::string& key) {
    auto& slot = host_state_[key];
    if (!slot) slot = std::make_shared<T>();
    return *static_cast<T*>(slot.get());
  }

  // Drops every interface's per-actor state; their destructors release what they hold
  // (stop servers, kill processes). Called when the actor finishes.
  void ReleaseHostState() {
    auto released = std::move(host_state_);
    host_state_.clear();
    released.clear();  // destroyed in key order, outside any use of host_state_
  }

  // The async host call the current turn waits for (at most one: a turn is sequential).
  // Its "/done" event is recorded when the call resumes with the result.
  void Await(std::shared_ptr<AwaitedCall> call);
  // Records the "/done" event of the awaited call if it has completed.
  void RecordAwaitedIfDone();

 private:
  // Appends the event, after `store_snapshots` (which adds `extra_bytes` to the chain's
  // size) when the event fits the chain limit.
  Result<Hash> Append(std::string type, Bytes data, uint64_t extra_bytes, const std::function<void()>& store_snapshots);
  // Appends the readings RecordReading holds back, if any.
  void AppendReadings();

  ActorSystem* system_;
  std::string id_;
  Manifest manifest_;
  Permissions permissions_;
  LogSink log_sink_;
  std::optional<Bytes> state_;
  std::optional<std::optional<StateRef>> state_ref_;  // of state_, once computed
  std::shared_ptr<SnapshotStore> snapshots_;
  mutable std::mutex chain_mu_;  // taken by Record (the worker) and by other threads' reads
  Chain chain_;
  bool shutdown_requested_ = false;
  std::optional<Bytes> shutdown_data_;
  std::shared_ptr<AwaitedCall> awaited_;
  std::vector<std::function<void()>> deferred_;
  std::map<std::string, std::shared_ptr<void>> host_state_;
  std::function<uint64_t()> clock_;
  std::function<Status()> flush_;
  std::optional<std::string> denial_;
  uint64_t log_bytes_this_turn_ = 0;
  WaitPath wait_path_;
  const char* readings_type_ = nullptr;  // of readings_, the clock readings held back
  std::vector<uint64_t> readings_;
  uint64_t chain_bytes_ = 0;  // what the chain and its snapshots hold, as counted by StoredSize
};

// Unix time in milliseconds.
uint64_t NowMs();

}  // namespace theater
