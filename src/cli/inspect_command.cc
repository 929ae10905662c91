// theater inspect ACTOR-ID|PATH [--events N] [--json]
#include <algorithm>

#include "chain/event_data.h"
#include "cli/chain_files.h"
#include "cli/client_session.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "runtime/chain_state.h"

namespace theater::cli {
namespace {

nlohmann::ordered_json Decode(const ChainEvent& e) {
  auto j = DecodeEventDataOrdered(e.data);  // the chain may come from anyone: bounded
  return j.is_discarded() ? nlohmann::ordered_json::object() : j;
}

int Inspect(const std::string& target, size_t last, bool json, const GlobalOptions& global) {
  Output out(json);
  auto chain = ReadVerifiedChainImage(target, global);
  if (!chain.ok()) {
    if (json) out.Json({{"error", chain.error()}});
    else std::fprintf(stderr, "theater inspect: %s\n", chain.error().c_str());
    return kExitUsage;
  }
  const std::vector<ChainEvent>* events = &chain->events;
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
  auto good = LastGoodState(*events, *chain->snapshots);
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

// The live view from a running server (InspectActor).
int InspectOnServer(const std::string& id, const std::string& server, bool json) {
  ClientOptions o;
  o.server = server;
  o.json = json;
  int exit_code = kExitOk;
  auto client = ConnectOrReport(o, "inspect", exit_code);
  if (!client) return exit_code;
  auto r = CallExpecting(*client, {{"InspectActor", {{"id", id}}}}, "ActorInspection", o, "inspect", exit_code);
  if (!r) return exit_code;
  Output out(json);
  if (json) {
    out.Json({{"ok", true}, {"actor", *r}});
    return kExitOk;
  }
  auto str = [](const server::json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
  out.Line("actor", str((*r)["id"]) + " (" + str((*r)["name"]) + ")");
  if (!(*r)["parent"].is_null()) out.Line("parent", str((*r)["parent"]));
  out.Line("status", str((*r)["status"]) + ((*r)["stop_reason"].get<std::string>().empty() ? "" : " (last stop: " + str((*r)["stop_reason"]) + ")"));
  if (!(*r)["failure"].is_null())
    out.Line("cause", str((*r)["failure"]["kind"]) + " in " + str((*r)["failure"]["function"]) + ": " + str((*r)["failure"]["message"]));
  out.Line("restarts", str((*r)["restarts"]));
  out.Line("children", std::to_string((*r)["children"].size()));
  out.Line("mailbox", str((*r)["mailbox"]));
  out.Line("state", (*r)["state"].is_null() ? "none" : Printable(ProtocolBytes((*r)["state"])));
  out.Line("chain", str((*r)["events"]) + " events in " + str((*r)["chain"]) + ", head " + str((*r)["head"]));
  std::printf("last events:\n");
  for (const auto& e : (*r)["last_events"])
    std::printf("  #%-4s %s  %-44s %s\n", str(e["seq"]).c_str(), FormatTime(e["timestamp_ms"].get<uint64_t>()).c_str(),
                str(e["type"]).c_str(), e["data"].dump(-1, ' ', false, server::json::error_handler_t::replace).substr(0, 120).c_str());
  return kExitOk;
}

}  // namespace

CLI::App* AddInspectCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto target = std::make_shared<std::string>();
  auto last = std::make_shared<size_t>(10);
  auto json = std::make_shared<bool>(false);
  auto server = std::make_shared<std::string>();
  CLI::App* inspect = app.add_subcommand(
      "inspect",
      "Show what an actor's chain says about it: status, the cause of its last failure, how\n"
      "often it was restarted, its last good state and its last events. The chain must verify.");
  inspect->add_option("actor", *target, "An actor id (its chain in the data directory) or a chain file")->required();
  inspect->add_option("--events", *last, "How many of the last events to show")->capture_default_str();
  inspect->add_flag("--json", *json, "Print one JSON object");
  inspect->add_option("--server", *server,
                      "Ask a running server (HOST:PORT) instead: the live actor, its children and mailbox");
  inspect->footer("Example:\n  theater inspect 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --events 20\n"
                  "  theater inspect 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --server 127.0.0.1:9000\n"
                  "Exit status: 0 shown, 2 no such chain or it does not verify.");
  inspect->callback([target, last, json, server, &global, &exit_code] {
    exit_code = server->empty() ? Inspect(*target, *last, *json, global) : InspectOnServer(*target, *server, *json);
  });
  return inspect;
}

}  // namespace theater::cli
