// theater chain verify|show ACTOR-ID|PATH
#include <ctime>

#include "chain/chain_file.h"
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

int Verify(const std::string& target, bool json, const GlobalOptions& global) {
  Output out(json);
  auto path = ResolveChain(target, global);
  if (!path.ok()) {
    if (json) out.Json({{"ok", false}, {"error", path.error()}});
    else std::fprintf(stderr, "theater chain verify: %s\n", path.error().c_str());
    return kExitUsage;
  }
  VerifyReport report = VerifyChainFile(*path);
  std::string head = report.head ? ToHex(*report.head) : "";
  if (json) {
    nlohmann::ordered_json j = {{"ok", report.ok}, {"chain", path->string()}, {"events", report.events}, {"head", head}};
    if (!report.ok) {
      j["bad_seq"] = report.bad_seq ? nlohmann::ordered_json(*report.bad_seq) : nlohmann::ordered_json(nullptr);
      j["bad_offset"] = report.bad_offset;
      j["reason"] = report.reason;
    }
    out.Json(j);
  } else if (report.ok) {
    std::printf("OK: %llu events, head %s\n", static_cast<unsigned long long>(report.events), head.c_str());
  } else {
    std::printf("FAILED: %s\n", path->string().c_str());
    if (report.bad_seq)
      std::printf("  event %llu (byte offset %llu): %s\n", static_cast<unsigned long long>(*report.bad_seq),
                  static_cast<unsigned long long>(report.bad_offset), report.reason.c_str());
    else
      std::printf("  %s\n", report.reason.c_str());
    std::printf("  %llu events before it verified\n", static_cast<unsigned long long>(report.events));
  }
  return report.ok ? kExitOk : kExitActorFailed;
}

int Show(const std::string& target, bool json, const GlobalOptions& global) {
  Output out(json);
  auto path = ResolveChain(target, global);
  if (!path.ok()) {
    std::fprintf(stderr, "theater chain show: %s\n", path.error().c_str());
    return kExitUsage;
  }
  std::vector<ChainEvent> events;
  VerifyReport report = VerifyChainFile(*path, &events);
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
  CLI::App* verify = chain->add_subcommand(
      "verify",
      "Recompute every hash and check every parent link and sequence number.\n"
      "Prints OK with the event count and head, or the first event that does not verify.");
  verify->add_option("chain", *target, "An actor id (its chain in the data directory) or a chain file")->required();
  verify->add_flag("--json", *json, "Print one JSON object");
  verify->footer("Example:\n  theater chain verify 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10\n"
                 "Exit status: 0 the chain verifies, 1 it does not, 2 no such chain.");
  verify->callback([target, json, &global, &exit_code] { exit_code = Verify(*target, *json, global); });

  CLI::App* show = chain->add_subcommand("show", "Print a chain's events, readable");
  show->add_option("chain", *target, "An actor id (its chain in the data directory) or a chain file")->required();
  show->add_flag("--json", *json, "One JSON object per event");
  show->footer("Example:\n  theater chain show ~/.theater/chains/<actor-id>.chain --json");
  show->callback([target, json, &global, &exit_code] { exit_code = Show(*target, *json, global); });
  return chain;
}

}  // namespace theater::cli
