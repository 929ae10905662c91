// theater chain verify|show ACTOR-ID|PATH (the other chain subcommands: chain_proof_command.cc,
// chain_export_command.cc)
#include <ctime>

#include "chain/chain_image.h"
#include "chain/event_data.h"
#include "chain/signed_head.h"
#include "cli/chain_files.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/files.h"
#include "runtime/value_json.h"
#include "server/views.h"

namespace theater::cli {

std::string FormatTime(uint64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03uZ", buf, static_cast<unsigned>(ms % 1000));
  return out;
}

nlohmann::ordered_json ReadableData(const Bytes& data) {
  auto decoded = DecodeEventDataOrdered(data);
  if (decoded.is_discarded()) return {{"undecodable_hex", ToHex(data)}};
  return ReadableJson(decoded);
}

namespace {

struct VerifyArgs {
  std::string target, public_key, expect_head;
  bool allow_unsigned_tail = false, json = false;
};

int Verify(const VerifyArgs& args, const GlobalOptions& global) {
  Output out(args.json);
  auto fail_usage = [&](const std::string& why) {
    if (args.json) out.Json({{"ok", false}, {"error", why}});
    else std::fprintf(stderr, "theater chain verify: %s\n", why.c_str());
    return kExitUsage;
  };
  auto path = ResolveChain(args.target, global);
  if (!path.ok()) return fail_usage(path.error());
  VerifyOptions options;
  options.allow_unsigned_tail = args.allow_unsigned_tail;
  options.expected_actor_id = AskedActorId(args.target);
  if (!args.public_key.empty()) {
    auto k = ReadEd25519PublicKey(args.public_key);
    if (!k.ok()) return fail_usage("--public-key: " + k.error());
    options.required_signer = *k;
  }
  std::optional<SignedHead> expected_head;
  if (!args.expect_head.empty()) {
    auto text = ReadFile(args.expect_head, kMaxSmallFileBytes);
    if (!text.ok()) return fail_usage("--expect-head: " + text.error());
    auto parsed = nlohmann::json::parse(text->begin(), text->end(), nullptr, false);
    if (parsed.is_discarded()) return fail_usage("--expect-head: " + args.expect_head + ": not JSON");
    auto head = SignedHeadFromJson(parsed);
    if (!head.ok()) return fail_usage("--expect-head: " + args.expect_head + ": " + head.error());
    expected_head = std::move(*head);
    options.expected_head = &*expected_head;
  }
  auto image = ReadChainImage(*path);
  if (!image.ok()) return fail_usage(image.error());
  ChainVerification v = VerifyChainImage(*image, options);
  const VerifyReport& report = v.chain;
  std::string head = report.head ? ToHex(*report.head) : "";
  const CheckpointReport* cps = v.checkpoints ? &*v.checkpoints : nullptr;
  if (args.json) {
    // The fields VerifyActor has too (server/views.h), plus where the chain came from.
    nlohmann::ordered_json j = server::VerificationJson(v);
    j["chain"] = path->string();
    j["export"] = image->exported;
    j["head"] = head;
    if (expected_head) j["expected_head"] = {{"ok", v.head_matched}, {"tree_size", expected_head->checkpoint.tree_size}};
    out.Json(j);
    return v.ok() ? kExitOk : kExitActorFailed;
  }
  if (v.ok()) {
    if (report.events == 0) std::printf("OK: 0 events (an empty chain: no head)\n");
    else std::printf("OK: %llu events, head %s\n", static_cast<unsigned long long>(report.events), head.c_str());
  } else {
    std::printf("FAILED: %s\n", path->string().c_str());
    if (!report.ok && report.bad_seq)
      std::printf("  event %llu (byte offset %llu): %s\n", static_cast<unsigned long long>(*report.bad_seq),
                  static_cast<unsigned long long>(report.bad_offset), report.reason.c_str());
    else if (!report.ok)
      std::printf("  %s\n", report.reason.c_str());
    for (const std::string& p : v.problems) std::printf("  %s\n", p.c_str());
    if (v.snapshots && !v.snapshots->ok)
      std::printf("  event %llu: %s\n", static_cast<unsigned long long>(v.snapshots->bad_seq.value_or(0)),
                  v.snapshots->reason.c_str());
    if (cps && !cps->ok) std::printf("  %s\n", cps->reason.c_str());
    std::printf("  %llu events verified\n", static_cast<unsigned long long>(report.events));
    if (options.required_signer && !args.allow_unsigned_tail && v.unsigned_events > 0 && cps && cps->signed_covered > 0)
      std::printf("  (a chain still being written ends in events no checkpoint covers yet: give\n"
                  "  --allow-unsigned-tail to accept them, or verify again once the actor stops)\n");
  }
  if (cps && cps->ok) {
    std::printf("checkpoints: %zu match the chain, covering its first %llu events", cps->checked,
                static_cast<unsigned long long>(cps->covered));
    if (cps->signed_count == cps->checked && cps->signer)
      std::printf("; all signed by Ed25519 key %s%s\n", ToHex(*cps->signer).c_str(),
                  options.required_signer ? " (the one given)" : "");
    else if (cps->signed_count)
      std::printf("; %zu signed\n", cps->signed_count);
    else
      std::printf("; not signed\n");
  } else if (!v.checkpoints && report.ok) {
    std::printf("checkpoints: none\n");
  }
  if (v.snapshots && v.snapshots->ok)
    std::printf("snapshots: %llu (%llu bytes of states and large byte strings), each matching its digest\n",
                static_cast<unsigned long long>(v.snapshots->states), static_cast<unsigned long long>(v.snapshots->bytes));
  // What no signature protects, whenever signatures are in play.
  if (v.unsigned_events > 0 && ((cps && cps->signed_count > 0) || options.required_signer) &&
      (v.ok() || args.allow_unsigned_tail))
    std::printf("unsigned: %llu events (%llu to %llu) are covered by no signature\n",
                static_cast<unsigned long long>(v.unsigned_events),
                static_cast<unsigned long long>(report.events - v.unsigned_events),
                static_cast<unsigned long long>(report.events - 1));
  if (expected_head && v.head_matched) {
    const Checkpoint& c = expected_head->checkpoint;
    std::printf("head: the chain matches the published head of %llu events (root %s, %s)\n",
                static_cast<unsigned long long>(c.tree_size), ToHex(c.root).c_str(),
                c.signer ? ("signed by Ed25519 key " + ToHex(*c.signer) + " at " + FormatTime(c.timestamp_ms)).c_str()
                         : "unsigned");
  }
  if (image->exported)
    std::printf("export of actor %s, component SHA-256 %s%s\n", image->actor_id.c_str(), image->component_sha256.c_str(),
                image->component ? " (included)" : " (not included)");
  return v.ok() ? kExitOk : kExitActorFailed;
}

// theater chain head: the last checkpoint as a statement to publish elsewhere.
int Head(const std::string& target, const std::string& out_path, const GlobalOptions& global) {
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "theater chain head: %s\n", why.c_str());
    return kExitUsage;
  };
  auto chain = ReadVerifiedChainImage(target, global);
  if (!chain.ok()) return fail(chain.error());
  std::optional<CheckpointFile> file;
  if (chain->image.checkpoints)
    if (auto parsed = ParseCheckpointFile(*chain->image.checkpoints); parsed.ok()) file = std::move(*parsed);
  if (!file || file->checkpoints.empty())
    return fail("the chain has no checkpoint yet (the runtime makes one within seconds of an event, and when the "
                "actor stops)");
  SignedHead head;
  head.actor_id = file->actor_id;
  head.checkpoint = file->checkpoints.back();
  head.head = chain->events[head.checkpoint.tree_size - 1].hash;
  std::string text = SignedHeadToJson(head).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (out_path.empty() || out_path == "-") {
    std::fputs(text.c_str(), stdout);
  } else if (Status s = WriteFileAtomic(out_path, ToBytes(text)); !s.ok()) {
    return fail(s.message());
  }
  if (!head.checkpoint.signer)
    std::fprintf(stderr, "note: the head is not signed (the data directory had no key: theater chain keygen)\n");
  uint64_t after = chain->events.size() - head.checkpoint.tree_size;
  if (after > 0)
    std::fprintf(stderr,
                 "note: %llu events after it are not covered yet; the runtime makes the next checkpoint within "
                 "seconds, and one when the actor stops\n",
                 static_cast<unsigned long long>(after));
  return kExitOk;
}

int Show(const std::string& target, bool json, const GlobalOptions& global) {
  Output out(json);
  auto path = ResolveChain(target, global);
  auto image = path.ok() ? ReadChainImage(*path) : Result<ChainImage>(path.status());
  if (!image.ok()) {
    std::fprintf(stderr, "theater chain show: %s\n", image.error().c_str());
    return kExitUsage;
  }
  std::vector<ChainEvent> events;
  VerifyReport report = VerifyChainBytes(image->chain, &events);
  for (const ChainEvent& e : events) {
    if (json) {
      out.Json({{"seq", e.seq},
                {"hash", ToHex(e.hash)},
                {"parent", e.parent ? nlohmann::ordered_json(ToHex(*e.parent)) : nlohmann::ordered_json(nullptr)},
                {"timestamp_ms", e.timestamp_ms},
                {"type", e.type},
                {"data", ReadableData(e.data)}});
    } else {
      std::printf("#%-4llu %s  %s  %s\n      %s\n", static_cast<unsigned long long>(e.seq),
                  FormatTime(e.timestamp_ms).c_str(), ToHex(e.hash).substr(0, 16).c_str(), e.type.c_str(),
                  ReadableData(e.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
  }
  if (!report.ok) {
    std::string why = "chain is invalid after event " + std::to_string(report.events) + ": " + report.reason;
    if (json) out.Json({{"ok", false}, {"error", why}});
    else std::printf("!!    %s\n", why.c_str());
    return kExitActorFailed;
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddChainCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  CLI::App* chain = app.add_subcommand("chain", "Inspect and verify actor chains");
  chain->require_subcommand(1);

  auto target = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto v = std::make_shared<VerifyArgs>();
  CLI::App* verify = chain->add_subcommand(
      "verify",
      "Recompute every hash and check every parent link and sequence number, then every\n"
      "checkpoint (its Merkle root and signature) and, for an export, its header.\n"
      "Prints OK with the event count and head, or the first event that does not verify.\n"
      "Uses only the chain format, SHA-256 and Ed25519 (docs/chain-format.md): none of the runtime.");
  verify->add_option("chain", v->target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  verify->add_option("--public-key", v->public_key,
                     "Require every checkpoint to be signed by this Ed25519 key (64 hex digits or a PEM file),\n"
                     "and every event to be covered by a signed checkpoint");
  verify->add_flag("--allow-unsigned-tail", v->allow_unsigned_tail,
                   "With --public-key: accept events after the last signed checkpoint (a chain still being\n"
                   "written); they are reported");
  verify->add_option("--expect-head", v->expect_head,
                     "Require the chain to hold the head in this file (from `theater chain head`, published\n"
                     "earlier): catches a chain cut back to an earlier signed checkpoint");
  verify->add_flag("--json", v->json, "Print one JSON object");
  verify->footer("Examples:\n  theater chain verify 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10\n"
                 "  theater chain verify actor.theater-export --public-key checkpoint.pub\n"
                 "  theater chain verify 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --public-key checkpoint.pub --expect-head head.json\n"
                 "Exit status: 0 the chain verifies, 1 it does not, 2 no such chain or unreadable key or head.");
  verify->callback([v, &global, &exit_code] { exit_code = Verify(*v, global); });

  auto head_out = std::make_shared<std::string>();
  CLI::App* head = chain->add_subcommand(
      "head",
      "Print a signed head statement (JSON): the actor, the number of events and the Merkle root of\n"
      "its last checkpoint, the last event's hash and the signature. Publish it somewhere the data\n"
      "directory's keeper cannot rewrite; `theater chain verify --expect-head` checks a chain against it.");
  head->add_option("chain", *target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  head->add_option("--out", *head_out, "Write the statement to this file instead of standard output");
  head->footer("Example:\n  theater chain head 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --out head.json\n"
               "Exit status: 0 written, 2 no such chain, it does not verify, or it has no checkpoint yet.");
  head->callback([target, head_out, &global, &exit_code] { exit_code = Head(*target, *head_out, global); });

  CLI::App* show = chain->add_subcommand("show", "Print a chain's events, readable");
  show->add_option("chain", *target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  show->add_flag("--json", *json, "One JSON object per event");
  show->footer("Example:\n  theater chain show ~/.theater/chains/<actor-id>.chain --json");
  show->callback([target, json, &global, &exit_code] { exit_code = Show(*target, *json, global); });
  AddChainProofCommands(*chain, global, exit_code);
  AddChainExportCommands(*chain, global, exit_code);
  return chain;
}

}  // namespace theater::cli
