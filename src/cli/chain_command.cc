// theater chain verify|show ACTOR-ID|PATH (the other chain subcommands: chain_proof_command.cc,
// chain_export_command.cc)
#include <ctime>

#include "chain/chain_image.h"
#include "cli/chain_files.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "runtime/value_json.h"

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
  auto decoded = nlohmann::ordered_json::from_cbor(data, true, false);
  if (decoded.is_discarded()) return {{"undecodable_hex", ToHex(data)}};
  return ReadableJson(decoded);
}

namespace {

int Verify(const std::string& target, const std::string& public_key, bool json, const GlobalOptions& global) {
  Output out(json);
  auto fail_usage = [&](const std::string& why) {
    if (json) out.Json({{"ok", false}, {"error", why}});
    else std::fprintf(stderr, "theater chain verify: %s\n", why.c_str());
    return kExitUsage;
  };
  auto path = ResolveChain(target, global);
  if (!path.ok()) return fail_usage(path.error());
  std::optional<Ed25519PublicKey> key;
  if (!public_key.empty()) {
    auto k = ReadEd25519PublicKey(public_key);
    if (!k.ok()) return fail_usage("--public-key: " + k.error());
    key = *k;
  }
  auto image = ReadChainImage(*path);
  if (!image.ok()) return fail_usage(image.error());
  ChainVerification v = VerifyChainImage(*image, key);
  const VerifyReport& report = v.chain;
  std::string head = report.head ? ToHex(*report.head) : "";
  const CheckpointReport* cps = v.checkpoints ? &*v.checkpoints : nullptr;
  if (json) {
    nlohmann::ordered_json j = {{"ok", v.ok()}, {"chain", path->string()}, {"export", image->exported},
                                {"events", report.events}, {"head", head}};
    if (!report.ok) {
      j["bad_seq"] = report.bad_seq ? nlohmann::ordered_json(*report.bad_seq) : nlohmann::ordered_json(nullptr);
      j["bad_offset"] = report.bad_offset;
      j["reason"] = report.reason;
    }
    if (cps)
      j["checkpoints"] = {{"ok", cps->ok},
                          {"matched", cps->checked},
                          {"covered", cps->covered},
                          {"signed", cps->signed_count},
                          {"signer", cps->signer ? nlohmann::ordered_json(ToHex(*cps->signer)) : nlohmann::ordered_json(nullptr)},
                          {"reason", cps->reason}};
    if (!v.problems.empty()) j["problems"] = v.problems;
    out.Json(j);
    return v.ok() ? kExitOk : kExitActorFailed;
  }
  if (v.ok()) {
    std::printf("OK: %llu events, head %s\n", static_cast<unsigned long long>(report.events), head.c_str());
  } else {
    std::printf("FAILED: %s\n", path->string().c_str());
    if (!report.ok && report.bad_seq)
      std::printf("  event %llu (byte offset %llu): %s\n", static_cast<unsigned long long>(*report.bad_seq),
                  static_cast<unsigned long long>(report.bad_offset), report.reason.c_str());
    else if (!report.ok)
      std::printf("  %s\n", report.reason.c_str());
    for (const std::string& p : v.problems) std::printf("  %s\n", p.c_str());
    if (cps && !cps->ok) std::printf("  %s\n", cps->reason.c_str());
    std::printf("  %llu events verified\n", static_cast<unsigned long long>(report.events));
  }
  if (cps && cps->ok) {
    std::printf("checkpoints: %zu match the chain, covering its first %llu events", cps->checked,
                static_cast<unsigned long long>(cps->covered));
    if (cps->signed_count == cps->checked && cps->signer)
      std::printf("; all signed by Ed25519 key %s%s\n", ToHex(*cps->signer).c_str(), key ? " (the one given)" : "");
    else if (cps->signed_count)
      std::printf("; %zu signed\n", cps->signed_count);
    else
      std::printf("; not signed\n");
  } else if (!v.checkpoints && report.ok) {
    std::printf("checkpoints: none\n");
  }
  if (image->exported)
    std::printf("export of actor %s, component SHA-256 %s%s\n", image->actor_id.c_str(), image->component_sha256.c_str(),
                image->component ? " (included)" : " (not included)");
  return v.ok() ? kExitOk : kExitActorFailed;
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
  auto public_key = std::make_shared<std::string>();
  CLI::App* verify = chain->add_subcommand(
      "verify",
      "Recompute every hash and check every parent link and sequence number, then every\n"
      "checkpoint (its Merkle root and signature) and, for an export, its header.\n"
      "Prints OK with the event count and head, or the first event that does not verify.\n"
      "Uses only the chain format, SHA-256 and Ed25519 (docs/chain-format.md): none of the runtime.");
  verify->add_option("chain", *target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  verify->add_option("--public-key", *public_key,
                     "Require every checkpoint to be signed by this Ed25519 key (64 hex digits or a PEM file)");
  verify->add_flag("--json", *json, "Print one JSON object");
  verify->footer("Examples:\n  theater chain verify 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10\n"
                 "  theater chain verify actor.theater-export --public-key checkpoint.pub\n"
                 "Exit status: 0 the chain verifies, 1 it does not, 2 no such chain or unreadable key.");
  verify->callback([target, public_key, json, &global, &exit_code] {
    exit_code = Verify(*target, *public_key, *json, global);
  });

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
