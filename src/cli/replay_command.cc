// theater replay ACTOR-ID|CHAIN-FILE [--component PATH] [--json]
#include "cli/chain_files.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/files.h"
#include "runtime/replay.h"

namespace theater::cli {
namespace {

nlohmann::ordered_json EventJson(const std::optional<ChainEvent>& e) {
  if (!e) return nullptr;
  return {{"seq", e->seq}, {"type", e->type}, {"hash", ToHex(e->hash)}, {"data", ReadableData(e->data)}};
}

int RunReplay(const std::string& target, const std::string& component, bool json, const GlobalOptions& global) {
  Output out(json);
  auto usage = [&](const std::string& why) {
    if (json) out.Json({{"error", why}});
    else std::fprintf(stderr, "theater replay: %s\n", why.c_str());
    return kExitUsage;
  };
  auto chain = ReadVerifiedChainImage(target, global);
  if (!chain.ok()) return usage(chain.error());
  ReplayOptions options;
  if (!component.empty()) options.component = component;
  options.cache_dir = global.DataDir() / "cache" / "components";
  if (chain->image.component && component.empty()) {
    // An export carries the recorded build: unpack it where compiled components are cached.
    std::filesystem::path unpacked = options.cache_dir / (chain->image.component_sha256 + ".wasm");
    std::error_code ec;
    std::filesystem::create_directories(options.cache_dir, ec);
    if (Status s = WriteFileAtomic(unpacked, *chain->image.component); !s.ok()) return usage(s.message());
    options.recorded_component = unpacked;
  }
  options.snapshots = chain->snapshots.get();
  ReplayReport r = Replay(chain->events, options);
  if (!r.error.empty()) {
    if (json) out.Json({{"error", r.error}});
    else std::fprintf(stderr, "theater replay: %s\n", r.error.c_str());
    return kExitUsage;
  }
  std::string head = r.head ? ToHex(*r.head) : "";
  if (json) {
    nlohmann::ordered_json j = {{"identical", r.identical},       {"events", r.events},
                                {"head", head},                   {"component_sha256", r.component_sha256},
                                {"same_component", r.same_component}, {"seconds", r.seconds},
                                {"recorded_seconds", r.recorded_seconds}};
    if (r.divergence)
      j["divergence"] = {{"seq", r.divergence->seq},
                         {"why", r.divergence->why},
                         {"recorded", EventJson(r.divergence->recorded)},
                         {"replayed", EventJson(r.divergence->replayed)}};
    out.Json(j);
    return r.identical ? kExitOk : kExitActorFailed;
  }
  if (!r.same_component) std::printf("component: another build (SHA-256 %s), on purpose\n", r.component_sha256.c_str());
  if (r.identical) {
    std::printf("replay identical: %llu events, head %s\n", static_cast<unsigned long long>(r.events), head.c_str());
    return kExitOk;
  }
  const ReplayDivergence& d = *r.divergence;
  std::printf("replay diverges at event %llu: %s\n", static_cast<unsigned long long>(d.seq), d.why.c_str());
  auto show = [](const char* label, const std::optional<ChainEvent>& e) {
    if (!e) {
      std::printf("  %-9s (none)\n", label);
      return;
    }
    std::printf("  %-9s #%llu %s\n            %s\n", label, static_cast<unsigned long long>(e->seq), e->type.c_str(),
                ReadableData(e->data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  };
  show("recorded", d.recorded);
  show("replayed", d.replayed);
  std::printf("the %llu events before it are identical\n", static_cast<unsigned long long>(d.seq));
  return kExitActorFailed;
}

}  // namespace

CLI::App* AddReplayCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto target = std::make_shared<std::string>();
  auto component = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* replay = app.add_subcommand(
      "replay",
      "Run an actor's component again on the inputs its chain recorded and compare the new\n"
      "chain with the recorded one, hash by hash. Host calls are answered from the recording\n"
      "(nothing outside is touched). Ends with \"replay identical: N events, head H\" or the\n"
      "first divergent event, recorded and replayed side by side.");
  replay->add_option("chain", *target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  replay->add_option("--component", *component,
                     "Run this build instead of the recorded one (to see where changed code behaves differently)");
  replay->add_flag("--json", *json, "Print one JSON object");
  replay->footer(
      "Examples:\n"
      "  theater replay 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10\n"
      "  theater replay 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --component build/new/actor.wasm\n"
      "Exit status: 0 identical, 1 diverges, 2 no such chain, it does not verify, or the component is missing.");
  replay->callback([target, component, json, &global, &exit_code] {
    exit_code = RunReplay(*target, *component, *json, global);
  });
  return replay;
}

}  // namespace theater::cli
