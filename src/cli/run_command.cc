// theater run MANIFEST[@NAME]... [--state JSON] [--to NAME] [--send TEXT]... [--request TEXT]... [--json]
#include <map>

#include "cli/chain_files.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "engine/engine.h"
#include "host/host_interfaces.h"
#include "manifest/manifest.h"
#include "runtime/actor_system.h"
#include "runtime/chain_state.h"

namespace theater::cli {
namespace {

struct RunOptions {
  std::vector<std::string> manifests;
  std::string state;
  bool has_state = false;
  std::vector<std::string> sends, requests, targets;
  bool json = false;
  uint64_t wait_ms = 10000;
  uint64_t timeout_ms = 5000;
  size_t workers = 0;
  std::string resume;  // ACTOR-ID[@SEQ]
  bool sync = false;
};

// One step of the command line, in the order written.
struct Step {
  enum Kind { kTarget, kSend, kRequest } kind;
  std::string text;
};

// A started actor and the name messages use for it.
struct Started {
  std::string name;
  std::string id;
};

// Replaces {{NAME}} with the id of the actor called NAME.
std::string Expand(std::string text, const std::vector<Started>& actors) {
  for (const Started& a : actors) {
    std::string placeholder = "{{" + a.name + "}}";
    for (size_t pos = text.find(placeholder); pos != std::string::npos; pos = text.find(placeholder, pos + a.id.size()))
      text.replace(pos, placeholder.size(), a.id);
  }
  return text;
}

void PrintFailure(const Output& out, const std::string& who, const Failure& f) {
  if (out.json()) {
    out.Json({{"event", "failure"},
              {"actor", who},
              {"kind", FailureKindName(f.kind)},
              {"function", f.function},
              {"message", f.message},
              {"backtrace", f.backtrace}});
    return;
  }
  out.Line("failed", who + ": " + f.Describe());
  for (const std::string& frame : f.backtrace) out.Line("", (frame.rfind("...", 0) == 0 ? "  " : "  at ") + frame);
}

int Run(const RunOptions& opts, const std::vector<Step>& steps, const GlobalOptions& global) {
  Output out(opts.json);
  auto usage_error = [&](const std::string& message) {
    if (out.json()) out.Json({{"event", "error"}, {"message", message}});
    else std::fprintf(stderr, "theater run: %s\n", message.c_str());
    return kExitUsage;
  };

  // --resume: the first actor starts from a state recorded in an earlier chain.
  std::optional<Bytes> resumed_state;
  std::vector<std::string> manifest_args = opts.manifests;
  if (!opts.resume.empty()) {
    if (opts.has_state) return usage_error("--state and --resume cannot be used together");
    std::string id = opts.resume;
    std::optional<uint64_t> seq;
    if (size_t at = id.find('@'); at != std::string::npos) {
      try {
        seq = std::stoull(id.substr(at + 1));
      } catch (const std::exception&) {
        return usage_error("--resume " + opts.resume + ": the event after @ must be a number");
      }
      id = id.substr(0, at);
    }
    auto chain = ReadVerifiedChainImage(id, global);
    if (!chain.ok()) return usage_error("--resume: " + chain.error());
    const std::vector<ChainEvent>* events = &chain->events;
    auto state = seq ? StateAtEvent(*events, *seq, *chain->snapshots) : LastGoodState(*events, *chain->snapshots);
    if (!state.ok()) return usage_error("--resume: " + state.error());
    resumed_state = *state;
    if (manifest_args.empty()) {
      auto recorded = ManifestOf(*events);
      if (!recorded.ok()) return usage_error("--resume: " + recorded.error());
      manifest_args.push_back(*recorded);
    }
  }
  if (manifest_args.empty()) return usage_error("give at least one MANIFEST (or --resume ACTOR-ID)");

  // Manifests first: every error in them is reported before anything runs.
  std::vector<std::pair<std::string, Manifest>> manifests;
  for (const std::string& arg : manifest_args) {
    std::string path = arg, alias;
    if (size_t at = arg.rfind('@'); at != std::string::npos && arg.find('/', at) == std::string::npos) {
      path = arg.substr(0, at);
      alias = arg.substr(at + 1);
    }
    auto manifest = LoadManifest(path);
    if (!manifest.ok()) return usage_error(manifest.error());
    std::string name = alias.empty() ? manifest->name : alias;
    for (const auto& [other, _] : manifests)
      if (other == name) return usage_error("two actors are named `" + name + "`: give one a name with MANIFEST@NAME");
    manifests.emplace_back(name, std::move(*manifest));
  }
  if (opts.has_state && !nlohmann::json::accept(opts.state))
    return usage_error("--state: not a valid JSON document: " + opts.state);

  std::vector<Started> started;
  std::string spawning;  // the name of the actor being spawned (its id is not known yet)
  std::mutex names_mu;
  auto name_of = [&](const std::string& id) {
    std::lock_guard lock(names_mu);
    for (const auto& a : started)
      if (a.id == id) return a.name;
    return spawning;
  };
  std::mutex print_mu;

  EngineOptions engine_options;
  engine_options.cache_dir = global.DataDir() / "cache" / "components";
  auto engine = Engine::Create(engine_options);
  if (!engine.ok()) return usage_error(engine.error());
  if (Status s = host::DefineAllInterfaces(**engine); !s.ok()) return usage_error(s.message());

  SystemOptions system_options;
  system_options.chain_dir = global.DataDir() / "chains";
  system_options.data_dir = global.DataDir();
  system_options.chain_store.sync = opts.sync;
  // Checkpoints are signed when the data directory has a key (theater chain keygen).
  if (std::filesystem::exists(SigningKeyPath(global))) {
    auto key = Ed25519Key::Load(SigningKeyPath(global));
    if (!key.ok()) return usage_error(key.error());
    system_options.chain_store.signing_key = *key;
  }
  system_options.workers = opts.workers;
  system_options.request_timeout = std::chrono::milliseconds(opts.timeout_ms);
  bool several = manifests.size() > 1;
  system_options.log_sink = [&](const std::string& id, const std::string& line) {
    std::lock_guard lock(print_mu);
    if (out.json()) out.Json({{"event", "log"}, {"actor", name_of(id)}, {"text", line}});
    else out.Line("log", several ? "[" + name_of(id) + "] " + line : line);
  };
  std::vector<Failure> spawn_failures;  // reported during Spawn: printed after "started"
  system_options.on_failure = [&](const std::string& id, const Failure& f) {
    std::lock_guard lock(print_mu);
    bool known;
    {
      std::lock_guard names(names_mu);
      known = std::any_of(started.begin(), started.end(), [&](const Started& a) { return a.id == id; });
    }
    if (known) PrintFailure(out, name_of(id), f);
    else spawn_failures.push_back(f);
  };
  auto system = ActorSystem::Create(*engine, system_options);
  if (!system.ok()) return usage_error(system.error());
  ActorSystem& actors = **system;

  for (size_t i = 0; i < manifests.size(); ++i) {
    auto& [name, manifest] = manifests[i];
    std::optional<Bytes> state;
    if (i == 0 && opts.has_state) state = ToBytes(opts.state);
    std::string version = manifest.version, manifest_name = manifest.name;
    auto component = (*engine)->LoadComponentFile(manifest.component_path);  // cached: Spawn finds it
    {
      std::lock_guard lock(names_mu);
      spawning = name;
    }
    bool resume = i == 0 && !opts.resume.empty();
    auto id = resume ? actors.Resume(std::move(manifest), resumed_state) : actors.Spawn(std::move(manifest), std::move(state));
    if (!id.ok()) {
      actors.Shutdown();
      return usage_error(id.error());
    }
    {
      std::lock_guard lock(names_mu);
      started.push_back({name, *id});
    }
    std::lock_guard lock(print_mu);
    if (out.json()) {
      nlohmann::ordered_json j = {{"event", "started"}, {"actor", name}, {"actor_id", *id}, {"name", manifest_name},
                                  {"version", version}};
      if (component.ok()) {
        j["component_sha256"] = ToHex((*component)->sha256());
        j["component_origin"] = (*component)->origin();
        j["component_load_ms"] = (*component)->load_ms();
      }
      out.Json(j);
    } else {
      char load[64] = "";
      if (component.ok())
        std::snprintf(load, sizeof load, " (component %s in %.1f ms)", (*component)->origin().c_str(),
                      (*component)->load_ms());
      out.Line("started", manifest_name + " " + version + " as " + *id + (several ? " [" + name + "]" : "") + load);
    }
    for (const Failure& f : spawn_failures) PrintFailure(out, name, f);
    spawn_failures.clear();
  }

  // Deliver the messages in order; each request waits for its answer.
  std::string target = started.front().id;
  bool request_failed = false;
  for (const Step& step : steps) {
    if (step.kind == Step::kTarget) {
      auto it = std::find_if(started.begin(), started.end(), [&](const Started& a) { return a.name == step.text; });
      if (it == started.end()) {
        actors.Shutdown();
        return usage_error("--to " + step.text + ": no actor of that name");
      }
      target = it->id;
      continue;
    }
    std::string text = Expand(step.text, started);
    // What the previous message set off settles first, so runs are repeatable.
    actors.WaitIdle(std::chrono::milliseconds(opts.wait_ms));
    if (step.kind == Step::kSend) {
      if (Status s = actors.Send(target, ToBytes(text)); !s.ok()) {
        std::lock_guard lock(print_mu);
        request_failed = true;
        if (out.json()) out.Json({{"event", "error"}, {"send", text}, {"message", s.message()}});
        else out.Line("error", "send " + nlohmann::json(text).dump() + ": " + s.message());
      }
      continue;
    }
    RequestResult r = actors.Request(target, ToBytes(text)).get();
    std::lock_guard lock(print_mu);
    if (out.json()) {
      nlohmann::ordered_json j = {{"event", "response"}, {"actor", name_of(target)}, {"request", text}};
      if (r.ok) j["response"] = BytesJson(r.response);
      else j["error"] = r.error;
      out.Json(j);
    } else if (r.ok) {
      out.Line("response", Printable(r.response));
    } else {
      out.Line("error", "request " + nlohmann::json(text).dump() + ": " + r.error);
    }
    request_failed |= !r.ok;
  }

  // Let the actors finish what the messages started, then stop them.
  actors.WaitIdle(std::chrono::milliseconds(opts.wait_ms));
  actors.Shutdown();

  // Every actor that ran: the ones started here first, then the children they started.
  std::vector<ActorInfo> infos;
  for (const Started& a : started)
    if (auto info = actors.Info(a.id); info.ok()) infos.push_back(*info);
  for (const ActorInfo& info : actors.List())
    if (std::none_of(started.begin(), started.end(), [&](const Started& a) { return a.id == info.id; }))
      infos.push_back(info);
  bool show_names = several || infos.size() > 1;
  for (const ActorInfo& info : infos) {
    std::string name = name_of(info.id);
    if (name.empty() || name == spawning) name = info.name;
    std::string head = info.head ? ToHex(*info.head) : "";
    if (out.json()) {
      nlohmann::ordered_json j = {{"event", "summary"},
                                  {"ok", info.status != ActorStatus::kFailed},
                                  {"actor", name},
                                  {"actor_id", info.id},
                                  {"parent", info.parent},
                                  {"stopped", info.stop_reason},
                                  {"restarts", info.restarts},
                                  {"chain", info.chain_path.string()},
                                  {"events", info.events},
                                  {"head", head}};
      j["state"] = info.state ? BytesJson(*info.state) : nlohmann::ordered_json(nullptr);
      out.Json(j);
    } else {
      std::string what = info.id + (show_names ? " [" + name + "]" : "") + " (" + info.stop_reason;
      if (info.restarts) what += ", restarted " + std::to_string(info.restarts) + "x";
      if (!info.parent.empty()) what += ", child of " + info.parent.substr(0, 8);
      out.Line("stopped", what + ")");
      if (info.state) out.Line("state", Printable(*info.state));
      out.Line("chain", (info.chain_path.empty() ? std::string("(not saved: save_chain = false)") : info.chain_path.string()) +
                            " (" + std::to_string(info.events) + " events)");
      out.Line("head", head);
    }
  }
  // A failure its supervisor recovered from (a restart) is not a failure of the run.
  bool failed_at_end = std::any_of(infos.begin(), infos.end(),
                                   [](const ActorInfo& info) { return info.status == ActorStatus::kFailed; });
  return failed_at_end || request_failed ? kExitActorFailed : kExitOk;
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand(
      "run",
      "Start actors in this process, deliver messages in the order given, print their log lines\n"
      "and the responses, wait until they are quiet, stop them and save their chains.\n"
      "Messages go to the first actor unless --to names another; {{NAME}} in a message is\n"
      "replaced by the id of the actor called NAME (its manifest's name, or MANIFEST@NAME).\n"
      "Before each message, run waits until what the previous one set off has settled.");
  run->footer(
      "Examples:\n"
      "  theater run examples/greeter-c/manifest.toml --send hello --request Ada\n"
      "  theater run examples/greeter-c/manifest.toml --state '{\"greetings\":41}' --request Ada --json\n"
      "  theater run examples/ping-pong/ping.toml examples/ping-pong/pong.toml --request 'play {{pong}} 3'\n"
      "  theater run --resume 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10@12 --request 'get a'\n"
      "Exit status: 0 ok, 1 an actor ended failed (not restarted) or a message could not be\n"
      "delivered or answered,\n"
      "2 bad input (arguments, manifest, component).");
  run->add_option("manifest", opts->manifests, "Actor manifests (TOML), each optionally MANIFEST@NAME");
  run->add_option("--resume", opts->resume,
                  "Start the first actor from the state recorded in ACTOR-ID's chain (after event SEQ, or its "
                  "last good state), without calling init; its manifest is the chain's unless one is given")
      ->type_name("ACTOR-ID[@SEQ]");
  run->add_option("--state", opts->state, "Initial state of the first actor: a JSON document (overrides init_state)");
  CLI::Option* to = run->add_option("--to", opts->targets, "Send the following messages to the actor called NAME")
                        ->type_name("NAME")
                        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                        ->expected(1);
  CLI::Option* send = run->add_option("--send", opts->sends, "Deliver TEXT with handle-send (repeatable)")
                          ->type_name("TEXT")
                          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                          ->expected(1);
  CLI::Option* request = run->add_option("--request", opts->requests,
                                         "Deliver TEXT with handle-request and print the response (repeatable)")
                             ->type_name("TEXT")
                             ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                             ->expected(1);
  run->add_option("--timeout", opts->timeout_ms, "Milliseconds a request may wait for its response")->capture_default_str();
  run->add_option("--wait", opts->wait_ms, "Milliseconds to wait for the actors to become quiet (between messages, and at the end)")
      ->capture_default_str();
  run->add_option("--workers", opts->workers, "Worker threads (default: one per core)");
  run->add_flag("--json", opts->json, "One JSON object per line instead of text");
  run->add_flag("--sync", opts->sync,
                "fdatasync chain files before a turn's effects leave (survives power loss, not only a crash; slower)");
  run->callback([run, to, send, request, opts, &global, &exit_code] {
    opts->has_state = run->count("--state") > 0;
    // --to, --send and --request interleave: keep the order they were written in.
    std::vector<Step> steps;
    size_t next_to = 0, next_send = 0, next_request = 0;
    for (CLI::Option* o : run->parse_order()) {
      if (o == to) steps.push_back({Step::kTarget, opts->targets.at(next_to++)});
      else if (o == send) steps.push_back({Step::kSend, opts->sends.at(next_send++)});
      else if (o == request) steps.push_back({Step::kRequest, opts->requests.at(next_request++)});
    }
    exit_code = Run(*opts, steps, global);
  });
  return run;
}

}  // namespace theater::cli
