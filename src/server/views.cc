#include "server/views.h"

#include "chain/event_data.h"
#include "runtime/value_json.h"

namespace theater::server {

std::string DumpJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json EventToJson(const ChainEvent& e) {
  // Bounded: a chain read back from disk may have been tampered with (chain/event_data.h).
  auto decoded = DecodeEventData(e.data);
  json data = decoded.is_discarded() ? json{{"undecodable_hex", ToHex(e.data)}} : ReadableJson(decoded);
  return {{"seq", e.seq},
          {"type", e.type},
          {"timestamp_ms", e.timestamp_ms},
          {"hash", ToHex(e.hash)},
          {"parent", e.parent ? json(ToHex(*e.parent)) : json(nullptr)},
          {"data", std::move(data)},
          {"data_cbor", ToHex(e.data)}};
}

json FailureJson(const Failure& f) {
  return {{"kind", FailureKindName(f.kind)}, {"function", f.function}, {"message", f.message}, {"backtrace", f.backtrace}};
}

json ActorSummariesJson(ActorSystem& system) {
  json actors = json::array();
  for (const ActorInfo& info : system.List(/*with_state=*/false)) actors.push_back(ActorSummaryJson(info));
  return actors;
}

json ActorSummaryJson(const ActorInfo& info) {
  json failure = nullptr;
  if (info.failure)
    failure = {{"kind", FailureKindName(info.failure->kind)},
               {"function", info.failure->function},
               // A list of thousands of actors carries a line per failure, not a backtrace.
               {"message", info.failure->message.substr(0, 512)}};
  return {{"id", info.id},
          {"name", info.name},
          {"status", std::string(ActorStatusName(info.status))},
          {"parent", info.parent.empty() ? json(nullptr) : json(info.parent)},
          {"restarts", info.restarts},
          {"events", info.events},
          {"mailbox", info.mailbox},
          {"failure", std::move(failure)}};
}

json VerificationJson(const ChainVerification& v) {
  const VerifyReport& report = v.chain;
  json j = {{"ok", v.ok()},
            {"events", report.events},
            {"head", report.head ? json(ToHex(*report.head)) : json(nullptr)},
            {"unsigned_events", v.unsigned_events}};
  if (!report.ok) {
    j["bad_seq"] = report.bad_seq ? json(*report.bad_seq) : json(nullptr);
    j["bad_offset"] = report.bad_offset;
    j["reason"] = report.reason;
  }
  if (const CheckpointReport* cps = v.checkpoints ? &*v.checkpoints : nullptr)
    j["checkpoints"] = {{"ok", cps->ok},
                        {"matched", cps->checked},
                        {"covered", cps->covered},
                        {"signed", cps->signed_count},
                        {"signed_covered", cps->signed_covered},
                        {"signer", cps->signer ? json(ToHex(*cps->signer)) : json(nullptr)},
                        {"reason", cps->reason}};
  else
    j["checkpoints"] = nullptr;
  if (v.snapshots)
    j["snapshots"] = {{"ok", v.snapshots->ok},
                      {"states", v.snapshots->states},
                      {"bytes", v.snapshots->bytes},
                      {"bad_seq", v.snapshots->bad_seq ? json(*v.snapshots->bad_seq) : json(nullptr)},
                      {"reason", v.snapshots->reason}};
  j["problems"] = v.problems;
  return j;
}

}  // namespace theater::server
