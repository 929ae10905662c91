// theater inspect ACTOR-ID|PATH [--events N] [--json]
#include <algorithm>

#include "cli/chain_files.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "runtime/chain_state.h"

namespace theater::cli {
namespace {

nlohmann::ordered_json Decode(const ChainEvent& e) {
  auto j = nlohmann::ordered_json::from_cbor(e.data, true, false);
  return j.is_discarded() ? nlohmann::ordered_json::object() : j;
}

int Inspect(const std::string& target, size_t last, bool json, const GlobalOptions& global) {
  Output out(json);
  auto events = ReadVerifiedChain(target, global);
  if (!events.ok()) {
    if (json) out.Json({{"error", events.error()}});
    else std::fprintf(stderr, "theater inspect: %s\n", events.error().c_str());
    return kExitUsage;
  }
  auto started = Decode(events->front());
  // The status is what the chain ends with: a stop record, or nothing (still running, or
  // the process ended without stopping it).
  const ChainEvent& end = events->back();
  std::string status = "running (or ended without a stop record)";
  std::string reason;
  if (end.type == "theater/actor-stopped") {
    auto data = Decode(end);
    reason = data.value("reason", "");
    status = reason == "failed" ? "failed" : "stopped";
  }
  // The last failure: a failed call, or a failure recorded with the stop.
  nlohmann::ordered_json cause = nullptr;
  size_t restarts = 0;
  for (const ChainEvent& e : *events) {
    if (e.type == "theater/actor-restarted") ++restarts;
    if (e.type == "wasm/error") cause = Decode(e);
    if (e.type == "theater/actor-stopped" && Decode(e).contains("failure")) cause = Decode(e)["failure"];
  }
  auto good = LastGoodState(*events);
  std::optional<Bytes> state = good.ok() ? *good : std::nullopt;
  size_t first = events->size() > last ? events->size() - last : 0;

  if (json) {
    nlohmann::ordered_json j = {{"actor_id", started.value("actor_id", "")},
                                {"name", started.value("name", "")},
                                {"manifest", started.value("manifest", "")},
                                {"parent", started.value("parent", "")},
                                {"status", status},
                                {"stop_reason", reason},
                                {"cause", cause},
                                {"restarts", restarts},
                                {"events", events->size()},
                                {"head", ToHex(end.hash)}};
    j["last_good_state"] = state ? BytesJson(*state) : nlohmann::ordered_json(nullptr);
    nlohmann::ordered_json recent = nlohmann::ordered_json::array();
    for (size_t i = first; i < events->size(); ++i) {
      const ChainEvent& e = (*events)[i];
      recent.push_back({{"seq", e.seq}, {"timestamp_ms", e.timestamp_ms}, {"type", e.type}, {"data", ReadableData(e.data)}});
    }
    j["last_events"] = recent;
    out.Json(j);
    return kExitOk;
  }
  out.Line("actor", started.value("actor_id", "") + " (" + started.value("name", "") + " " +
                        started.value("version", "") + ")");
  out.Line("manifest", started.value("manifest", ""));
  if (started.contains("parent")) out.Line("parent", started["parent"].get<std::string>());
  out.Line("status", status + (reason.empty() || reason == "failed" ? "" : " (" + reason + ")"));
  if (!cause.is_null())
    out.Line("cause", cause.value("kind", "") + " in " + cause.value("function", "") + ": " + cause.value("message", ""));
  out.Line("restarts", std::to_string(restarts));
  out.Line("state", state ? Printable(*state) + " (last good)" : "none");
  out.Line("chain", std::to_string(events->size()) + " events, head " + ToHex(end.hash));
  std::printf("last events:\n");
  for (size_t i = first; i < events->size(); ++i) {
    const ChainEvent& e = (*events)[i];
    std::printf("  #%-4llu %s  %-44s %s\n", static_cast<unsigned long long>(e.seq), FormatTime(e.timestamp_ms).c_str(),
                e.type.c_str(), ReadableData(e.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 120).c_str());
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddInspectCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto target = std::make_shared<std::string>();
  auto last = std::make_shared<size_t>(10);
  auto json = std::make_shared<bool>(false);
  CLI::App* inspect = app.add_subcommand(
      "inspect",
      "Show what an actor's chain says about it: status, the cause of its last failure, how\n"
      "often it was restarted, its last good state and its last events. The chain must verify.");
  inspect->add_option("actor", *target, "An actor id (its chain in the data directory) or a chain file")->required();
  inspect->add_option("--events", *last, "How many of the last events to show")->capture_default_str();
  inspect->add_flag("--json", *json, "Print one JSON object");
  inspect->footer("Example:\n  theater inspect 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --events 20\n"
                  "Exit status: 0 shown, 2 no such chain or it does not verify.");
  inspect->callback([target, last, json, &global, &exit_code] { exit_code = Inspect(*target, *last, *json, global); });
  return inspect;
}

}  // namespace theater::cli
