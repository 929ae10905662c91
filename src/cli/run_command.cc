// theater run MANIFEST [--state JSON] [--send TEXT]... [--request TEXT]... [--json]
#include <map>

#include "cli/commands.h"
#include "cli/output.h"
#include "engine/engine.h"
#include "host/host_interfaces.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"

namespace theater::cli {
namespace {

struct RunOptions {
  std::string manifest;
  std::string state;
  std::vector<std::string> sends;
  std::vector<std::string> requests;
  bool json = false;
  bool has_state = false;
};

// One message to deliver, in command-line order.
struct Delivery {
  bool is_request;
  std::string text;
};

void PrintFailure(const Output& out, const Failure& f) {
  if (out.json()) {
    out.Json({{"event", "failure"},
              {"kind", FailureKindName(f.kind)},
              {"function", f.function},
              {"message", f.message},
              {"backtrace", f.backtrace}});
    return;
  }
  out.Line("failed", f.Describe());
  for (const std::string& frame : f.backtrace) out.Line("", (frame.rfind("...", 0) == 0 ? "  " : "  at ") + frame);
}

int Run(const RunOptions& opts, const std::vector<Delivery>& deliveries, const GlobalOptions& global) {
  Output out(opts.json);
  auto usage_error = [&](const std::string& message) {
    if (out.json()) out.Json({{"event", "error"}, {"message", message}});
    else std::fprintf(stderr, "theater run: %s\n", message.c_str());
    return kExitUsage;
  };

  auto manifest = LoadManifest(opts.manifest);
  if (!manifest.ok()) return usage_error(manifest.error());

  ActorOptions actor_options;
  actor_options.chain_dir = global.DataDir() / "chains";
  actor_options.log_sink = [&out](const std::string&, const std::string& line) {
    if (out.json()) out.Json({{"event", "log"}, {"text", line}});
    else out.Line("log", line);
  };
  if (opts.has_state) {
    if (!nlohmann::json::accept(opts.state)) return usage_error("--state: not a valid JSON document: " + opts.state);
    actor_options.initial_state = ToBytes(opts.state);
  }

  EngineOptions engine_options;
  engine_options.cache_dir = global.DataDir() / "cache" / "components";
  auto engine = Engine::Create(engine_options);
  if (!engine.ok()) return usage_error(engine.error());
  if (Status s = host::DefineAllInterfaces(**engine); !s.ok()) return usage_error(s.message());

  auto created = Actor::Create(*engine, std::move(*manifest), std::move(actor_options));
  if (!created.ok()) return usage_error(created.error());
  Actor& actor = **created;
  const Component& component = *actor.component();
  if (out.json()) {
    out.Json({{"event", "started"},
              {"actor_id", actor.id()},
              {"name", actor.manifest().name},
              {"version", actor.manifest().version},
              {"component_sha256", ToHex(component.sha256())},
              {"component_origin", component.origin()},
              {"component_load_ms", component.load_ms()}});
  } else {
    char load[64];
    std::snprintf(load, sizeof load, "%.1f ms", component.load_ms());
    out.Line("started", actor.manifest().name + " " + actor.manifest().version + " as " + actor.id() +
                            " (component " + component.origin() + " in " + load + ")");
  }

  bool ok = true;
  TurnOutcome started = actor.Start();
  if (!started.ok()) {
    PrintFailure(out, *started.failure);
    ok = false;
  }
  int request_number = 0;
  for (const Delivery& d : deliveries) {
    if (!ok || actor.shutdown_requested()) break;
    Bytes message = ToBytes(d.text);
    if (!d.is_request) {
      TurnOutcome sent = actor.Send(message);
      if (!sent.ok()) { PrintFailure(out, *sent.failure); ok = false; }
      continue;
    }
    std::optional<Bytes> response;
    TurnOutcome answered = actor.Request("cli-" + std::to_string(++request_number), message, response);
    if (!answered.ok()) { PrintFailure(out, *answered.failure); ok = false; continue; }
    if (out.json()) {
      nlohmann::ordered_json j = {{"event", "response"}, {"request", d.text}};
      j["response"] = response ? BytesJson(*response) : nlohmann::ordered_json(nullptr);
      out.Json(j);
    } else {
      out.Line("response", response ? Printable(*response) : "(none: the actor parked the request)");
    }
  }
  std::string reason = !ok ? "failed" : actor.shutdown_requested() ? "shutdown" : "finished";
  actor.Stop(reason);

  std::string head = actor.chain().head() ? ToHex(*actor.chain().head()) : "";
  std::string chain_location = actor.chain_path().empty() ? "(not saved: save_chain = false)" : actor.chain_path().string();
  if (out.json()) {
    nlohmann::ordered_json j = {{"event", "summary"},        {"ok", ok},
                                {"actor_id", actor.id()},    {"stopped", reason},
                                {"chain", actor.chain_path().string()}, {"events", actor.chain().size()},
                                {"head", head}};
    j["state"] = actor.state() ? BytesJson(*actor.state()) : nlohmann::ordered_json(nullptr);
    out.Json(j);
  } else {
    out.Line("stopped", actor.id() + " (" + reason + ")");
    if (actor.state()) out.Line("state", Printable(*actor.state()));
    out.Line("chain", chain_location + " (" + std::to_string(actor.chain().size()) + " events)");
    out.Line("head", head);
  }
  return ok ? kExitOk : kExitActorFailed;
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand(
      "run",
      "Start an actor in this process, call its init, deliver messages in the order given,\n"
      "print its log lines and responses, stop it and save its chain.");
  run->footer(
      "Examples:\n"
      "  theater run examples/counter-c/manifest.toml --send hello --request count\n"
      "  theater run actor.toml --state '{\"count\": 5}' --json\n"
      "Exit status: 0 ok, 1 the actor failed (the cause is printed), 2 bad input.");
  run->add_option("manifest", opts->manifest, "The actor's manifest (TOML)")->required();
  run->add_option("--state", opts->state, "Initial state: a JSON document (overrides init_state)");
  CLI::Option* send = run->add_option("--send", opts->sends, "Deliver TEXT with handle-send (repeatable)")
                          ->type_name("TEXT")
                          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                          ->expected(1);
  CLI::Option* request = run->add_option("--request", opts->requests,
                                         "Deliver TEXT with handle-request and print the response (repeatable)")
                             ->type_name("TEXT")
                             ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                             ->expected(1);
  run->add_flag("--json", opts->json, "One JSON object per line instead of text");
  run->callback([run, send, request, opts, &global, &exit_code] {
    opts->has_state = run->count("--state") > 0;
    // --send and --request interleave: deliver them in the order they were written.
    std::vector<Delivery> deliveries;
    size_t next_send = 0, next_request = 0;
    for (CLI::Option* o : run->parse_order()) {
      if (o == send) deliveries.push_back({false, opts->sends.at(next_send++)});
      else if (o == request) deliveries.push_back({true, opts->requests.at(next_request++)});
    }
    exit_code = Run(*opts, deliveries, global);
  });
  return run;
}

}  // namespace theater::cli
