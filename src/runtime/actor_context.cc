#include "runtime/actor_context.h"

#include <chrono>
#include <cstring>
#include <set>

#include "chain/snapshot_file.h"
#include "runtime/actor_system.h"

namespace theater {

HostServices& ActorContext::services() { return *system_; }
MessageRouter& ActorContext::router() { return *system_; }

uint64_t NowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool AwaitedCall::Complete(Value result, ordered_json recorded, std::optional<Cause> cause) {
  {
    std::lock_guard lock(mu_);
    if (completed_) return false;
    completed_ = true;
    recorded_ = std::move(recorded);
    cause_ = std::move(cause);
  }
  return op_->Complete(std::move(result));
}

ordered_json AwaitedCall::DoneData() {
  std::lock_guard lock(mu_);
  ordered_json data = details_;
  data["result"] = recorded_;
  if (cause_) data["cause"] = cause_->ToJson();
  return data;
}

namespace {

// `data` as CBOR, its large byte strings by reference (listed in `refs`, spans into `data`).
Bytes EncodeEventData(const ordered_json& data, std::vector<BytesByRef>& refs) {
  if (!HasLargeBytes(data)) return ordered_json::to_cbor(data);  // no copy of the tree
  return ordered_json::to_cbor(WithLargeBytesByRef(data, &refs));
}

// An event's size as the chain limit counts it: its data and type, and a fixed allowance
// for the rest of its record (sequence number, hashes, timestamp, framing).
uint64_t StoredSize(const std::string& type, const Bytes& data) { return data.size() + type.size() + 96; }

// Recorded even past max_chain_bytes: without them the chain could not say how the actor
// ended, failed or came back, or what a call it already made returned ("…/done": the
// turn then fails at its next event).
bool AlwaysRecorded(const std::string& type) {
  constexpr std::string_view kDone = "/done";
  return type.rfind("theater/", 0) == 0 || type == "wasm/error" ||
         (type.size() > kDone.size() && type.compare(type.size() - kDone.size(), kDone.size(), kDone) == 0);
}

}  // namespace

Result<Hash> ActorContext::Record(std::string type, const ordered_json& data) {
  std::vector<BytesByRef> refs;
  Bytes cbor = EncodeEventData(data, refs);
  return RecordRaw(std::move(type), std::move(cbor), refs);
}

std::optional<StateRef> ActorContext::RefOf(const std::optional<Bytes>& state) {
  if (!state) return std::nullopt;
  bool current = state_ && (&*state_ == &*state || *state_ == *state);
  if (!current) return StateRefOf(std::span<const uint8_t>(*state));
  if (!state_ref_) state_ref_ = OptionalStateRefOf(state_);
  return *state_ref_;
}

Result<Hash> ActorContext::RecordWithState(std::string type, ordered_json data, const char* field,
                                           const std::optional<Bytes>& state, const std::optional<StateRef>& ref) {
  data[field] = StateRefToJson(ref);
  std::vector<BytesByRef> refs;
  Bytes cbor = EncodeEventData(data, refs);
  return RecordWithStateRaw(std::move(type), std::move(cbor), state, ref, refs);
}

Result<Hash> ActorContext::RecordWithStateRaw(std::string type, Bytes data, const std::optional<Bytes>& state,
                                              const std::optional<StateRef>& ref, std::span<const BytesByRef> refs) {
  // Checked before anything is stored: no snapshot is larger than a reader accepts.
  if (ref && ref->size > kMaxSnapshotBytes)
    return Status::LimitExceeded("a state of " + std::to_string(ref->size) + " bytes is larger than a state may be (" +
                                 std::to_string(kMaxSnapshotBytes) + " bytes)");
  // The snapshots this event adds: each one not stored yet, once.
  struct Fresh {
    StateRef ref;
    std::span<const uint8_t> bytes;
  };
  std::vector<Fresh> fresh;
  uint64_t extra = 0;
  auto add = [&](const StateRef& r, std::span<const uint8_t> bytes) {
    if (!snapshots_ || snapshots_->Has(r.sha256)) return;
    for (const Fresh& f : fresh)
      if (f.ref.sha256 == r.sha256) return;
    fresh.push_back(Fresh{r, bytes});
    extra += kSnapshotRecordHeaderBytes + r.size;
  };
  if (ref) add(*ref, *state);
  for (const BytesByRef& b : refs) add(StateRef{b.sha256, b.bytes.size()}, b.bytes);
  return Append(std::move(type), std::move(data), extra, [&] {
    for (const Fresh& f : fresh) snapshots_->Put(f.ref, f.bytes);
  });
}

void ActorContext::RecordReading(const char* type, uint64_t value) {
  if (!readings_.empty() && std::strcmp(readings_type_, type) != 0) AppendReadings();
  readings_type_ = type;
  readings_.push_back(value);
  if (readings_.size() >= kMaxBatchedReadings) AppendReadings();
}

void ActorContext::AppendReadings() {
  std::vector<uint64_t> values;
  values.swap(readings_);  // first: Record appends through Append, which calls this
  // Past the chain limit the readings are not recorded; the turn's own result will not be
  // either, and the actor fails with limit-exceeded.
  Record(readings_type_, {{"results", values}});
}

Result<Hash> ActorContext::Append(std::string type, Bytes data, uint64_t extra_bytes,
                                  const std::function<void()>& store_snapshots) {
  if (!readings_.empty()) AppendReadings();  // they came first
  uint64_t now = clock_ ? clock_() : NowMs();
  uint64_t size = StoredSize(type, data) + extra_bytes;
  uint64_t limit = manifest_.limits.max_chain_bytes;
  if (has_system() && chain_bytes_ + size > limit && !AlwaysRecorded(type))
    return Status::LimitExceeded("the chain would grow past max_chain_bytes (" + std::to_string(limit) +
                                 " bytes; it holds " + std::to_string(chain_bytes_) + ", a " + type + " event of " +
                                 std::to_string(size) + " bytes more, its state's snapshot included)");
  // The state is queued before the event that names it: it reaches the disk first.
  if (store_snapshots) store_snapshots();
  std::lock_guard lock(chain_mu_);
  auto appended = chain_.Append(std::move(type), std::move(data), now);
  if (!appended.ok()) return appended.status();
  chain_bytes_ += size;
  return (*appended)->hash;
}

Status ActorContext::RestoreChain(std::vector<ChainEvent> events) {
  uint64_t bytes = 0;
  std::set<Hash> states;  // each snapshot counts once, as it is stored once
  for (const ChainEvent& e : events) {
    bytes += StoredSize(e.type, e.data);
    if (auto named = SnapshotsNamedBy(e); named.ok())
      for (const StateRef& ref : *named)
        if (states.insert(ref.sha256).second) bytes += kSnapshotRecordHeaderBytes + ref.size;
  }
  std::lock_guard lock(chain_mu_);
  THEATER_RETURN_IF_ERROR(chain_.Restore(std::move(events)));
  chain_bytes_ = bytes;
  return Status::Ok();
}

Status ActorContext::ChargeLog(uint64_t line_bytes) {
  uint64_t limit = manifest_.limits.max_log_bytes_per_turn;
  uint64_t after = log_bytes_this_turn_ + line_bytes + kLogLineOverhead;
  if (after > limit)
    return Status::LimitExceeded("log output past max_log_bytes_per_turn (" + std::to_string(limit) +
                                 " bytes per turn; this turn logged " + std::to_string(log_bytes_this_turn_) +
                                 ", a line of " + std::to_string(line_bytes) + " bytes more)");
  log_bytes_this_turn_ = after;
  return Status::Ok();
}

bool ActorContext::ReleaseEffects() {
  if (deferred_.empty()) return true;
  if (!Flush().ok()) {
    deferred_.clear();
    return false;
  }
  std::vector<std::function<void()>> effects;
  effects.swap(deferred_);
  for (auto& effect : effects) effect();
  return true;
}

void ActorContext::Await(std::shared_ptr<AwaitedCall> call) {
  call->op()->SetOnResume([this] { RecordAwaitedIfDone(); });
  awaited_ = std::move(call);
}

void ActorContext::RecordAwaitedIfDone() {
  if (!awaited_ || !awaited_->op()->done()) return;
  Record(awaited_->event_type() + "/done", awaited_->DoneData());
  awaited_.reset();
}

}  // namespace theater

namespace theater {

std::vector<ChainEvent> ActorContext::CopyEvents() const {
  std::lock_guard lock(chain_mu_);
  return chain_.events();
}

std::pair<size_t, std::optional<Hash>> ActorContext::Head() const {
  std::lock_guard lock(chain_mu_);
  return {chain_.size(), chain_.head()};
}

}  // namespace theater
