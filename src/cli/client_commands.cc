// The commands that drive a running server: start, stop, terminate, restart, list,
// status, state, manifest, events, send, request, info (channel: channel_command.cc).
#include <poll.h>

#include "cli/client_session.h"
#include "server/protocol.h"

namespace theater::cli {
namespace {

using server::json;

// A subcommand with the client options, a help text and examples.
CLI::App* Command(CLI::App& app, const char* name, const char* help, const char* examples, ClientOptions& o) {
  CLI::App* cmd = app.add_subcommand(name, help);
  AddClientOptions(cmd, o);
  cmd->footer(std::string("Example:\n") + examples +
              "\nExit status: 0 done, 1 the server refused (no such actor, it failed...), 2 bad input,\n"
              "3 no server at the address.");
  return cmd;
}

std::string Str(const json& j, const char* field) {
  auto it = j.find(field);
  return it == j.end() || it->is_null() ? "" : it->is_string() ? it->get<std::string>() : it->dump();
}

void PrintEvent(const Output& out, const std::string& actor, const json& e) {
  if (out.json()) return out.Json({{"actor", actor}, {"event", e}});
  std::printf("#%-5s %s  %-44s %s\n", Str(e, "seq").c_str(), FormatTime(e.value("timestamp_ms", uint64_t{0})).c_str(),
              Str(e, "type").c_str(), e["data"].dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 160).c_str());
  std::fflush(stdout);
}

// A stream item while following.
void PrintStreamItem(const Output& out, const json& m) {
  const std::string& tag = m.begin().key();
  const json& body = m.begin().value();
  if (tag == "ActorEvent") return PrintEvent(out, Str(body, "id"), body["event"]);
  if (out.json()) return out.Json(m);
  if (tag == "SubscriptionLagged") std::fprintf(stderr, "theater: %s\n", Str(body, "message").c_str());
  else std::printf("%s %s\n", tag.c_str(), body.dump().c_str());
  std::fflush(stdout);
}

// start MANIFEST [--state JSON] [--follow]
void AddStart(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions {
    std::string manifest, state, node;
    bool follow = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "start", "Start an actor on the server from a manifest; prints its id.",
                          "  theater start examples/greeter-c/manifest.toml --state '{\"greetings\":5}'", *o);
  cmd->add_option("manifest", o->manifest, "The actor's manifest (a path on this machine, which the server reads)")->required();
  cmd->add_option("--state", o->state, "Initial state (a JSON document), instead of the manifest's init_state");
  cmd->add_flag("--follow", o->follow, "Then print the actor's chain events as they happen (Ctrl-C to stop)");
  cmd->add_option("--node", o->node,
                  "In a cluster: the node to run it on (its server reads the manifest at the same path)");
  cmd->callback([o, &exit_code] {
    if (o->follow && !o->node.empty()) {
      std::fprintf(stderr, "theater start: --follow with --node: follow it on its node's server instead\n");
      exit_code = kExitUsage;
      return;
    }
    std::error_code ec;
    auto path = std::filesystem::absolute(o->manifest, ec);
    if (ec || !std::filesystem::exists(path)) {
      std::fprintf(stderr, "theater start: %s: no such file\n", o->manifest.c_str());
      exit_code = kExitUsage;
      return;
    }
    if (!o->state.empty() && !json::accept(o->state)) {
      std::fprintf(stderr, "theater start: --state: not a valid JSON document: %s\n", o->state.c_str());
      exit_code = kExitUsage;
      return;
    }
    auto client = ConnectOrReport(*o, "start", exit_code);
    if (!client) return;
    json body = {{"manifest", path.string()}, {"initial_state", o->state.empty() ? json(nullptr) : json(o->state)},
                 {"parent", false}, {"subscribe", o->follow}};
    if (!o->node.empty()) body["node"] = o->node;
    auto r = CallExpecting(*client, {{"StartActor", body}}, "ActorStarted", *o, "start", exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) out.Json({{"ok", true}, {"id", Str(*r, "id")}});
    else out.Line("started", Str(*r, "id"));
    while (o->follow) {
      auto m = client->ReadMessage();
      if (!m.ok()) break;
      if (*m) PrintStreamItem(out, **m);
    }
  });
}

// stop / terminate / restart ID
void AddLifecycle(CLI::App& app, int& exit_code, const char* name, const char* command, const char* tag,
                  const char* help, const char* done) {
  struct Opts : ClientOptions { std::string id; };
  auto o = std::make_shared<Opts>();
  std::string example = std::string("  theater ") + name + " 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10";
  CLI::App* cmd = Command(app, name, help, example.c_str(), *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->callback([o, &exit_code, name, command, tag, done] {
    auto client = ConnectOrReport(*o, name, exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, {{command, {{"id", o->id}}}}, tag, *o, name, exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) out.Json({{"ok", true}, {"id", o->id}, {"response", *r}});
    else out.Line(done, o->id);
  });
}

void AddList(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ClientOptions>();
  CLI::App* cmd = Command(app, "list", "List the server's actors.", "  theater list --json", *o);
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "list", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, "ListActors", "ActorList", *o, "list", exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) return out.Json({{"ok", true}, {"actors", (*r)["actors"]}});
    // A node of a cluster lists every node's actors, each with its node.
    bool clustered = false;
    for (const json& a : (*r)["actors"]) clustered |= a.contains("node");
    std::string node_head = clustered ? "NODE              " : "";
    std::printf("%-36s  %s%-16s %-10s %8s %8s  %s\n", "ID", node_head.c_str(), "NAME", "STATUS", "RESTARTS", "EVENTS", "PARENT");
    for (const json& a : (*r)["actors"]) {
      std::string node = clustered ? Str(a, "node").substr(0, 16) : "";
      if (clustered) node.resize(18, ' ');
      std::printf("%-36s  %s%-16s %-10s %8s %8s  %s\n", Str(a, "id").c_str(), node.c_str(), Str(a, "name").substr(0, 16).c_str(),
                  Str(a, "status").c_str(), Str(a, "restarts").c_str(), Str(a, "events").c_str(), Str(a, "parent").c_str());
    }
  });
}

// status / state / manifest / inspect-style reads of one actor.
void AddStatus(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions { std::string id; };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "status", "Show an actor's status (and why it stopped or failed).",
                          "  theater status 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10", *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "status", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, {{"GetActorStatus", {{"id", o->id}}}}, "ActorStatus", *o, "status", exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) return out.Json({{"ok", true}, {"id", o->id}, {"status", *r}});
    out.Line("status", Str(*r, "status") + (r->contains("reason") ? " (" + Str(*r, "reason") + ")" : ""));
    out.Line("restarts", Str(*r, "restarts"));
    for (const char* field : {"failure", "last_failure"})
      if (r->contains(field))
        out.Line(std::string(field) == "failure" ? "failure" : "last fail",
                 Str((*r)[field], "kind") + " in " + Str((*r)[field], "function") + ": " + Str((*r)[field], "message"));
  });
}

void AddState(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions { std::string id; };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "state", "Print an actor's current state (after a failure: its last good state).",
                          "  theater state 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --json", *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "state", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, {{"GetActorState", {{"id", o->id}}}}, "ActorState", *o, "state", exit_code);
    if (!r) return;
    const json& state = (*r)["state"];
    Output out(o->json);
    if (out.json()) return out.Json({{"ok", true}, {"id", o->id}, {"state", state.is_null() ? json() : BytesJson(ProtocolBytes(state))}});
    if (state.is_null()) return (void)std::printf("(no state)\n");
    Bytes b = ProtocolBytes(state);
    std::printf("%s\n", IsValidUtf8(b) ? ToString(b).c_str() : ("0x" + ToHex(b)).c_str());
  });
}

void AddManifest(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions { std::string id; };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "manifest", "Print the manifest an actor was started from.",
                          "  theater manifest 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10", *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "manifest", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, {{"GetActorManifest", {{"id", o->id}}}}, "ActorManifest", *o, "manifest", exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) return out.Json({{"ok", true}, {"manifest", *r}});
    std::printf("# %s\n%s", Str(*r, "path").c_str(), Str(*r, "manifest").c_str());
  });
}

void AddEvents(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions {
    std::string id;
    uint64_t from = 0;
    std::optional<uint64_t> limit;
    bool follow = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "events", "Print an actor's chain events; with --follow, keep printing new ones.",
                          "  theater events 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --follow", *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->add_option("--from", o->from, "First event (seq) to print")->capture_default_str();
  cmd->add_option("--limit", o->limit, "Print at most this many (without --follow)");
  cmd->add_flag("--follow,-f", o->follow, "Keep printing events as they are recorded (Ctrl-C to stop)");
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "events", exit_code);
    if (!client) return;
    Output out(o->json);
    if (o->follow) {
      // The subscription sends the chain from --from, then each new event: no gap, no repeat.
      auto r = CallExpecting(*client, {{"SubscribeToActor", {{"id", o->id}, {"from", o->from}}}}, "Subscribed", *o,
                             "events", exit_code);
      if (!r) return;
      for (;;) {
        auto m = client->ReadMessage();
        if (!m.ok()) {
          std::fprintf(stderr, "theater events: %s\n", m.error().c_str());
          exit_code = kExitNoServer;
          return;
        }
        if (*m) PrintStreamItem(out, **m);
      }
    }
    json body = {{"id", o->id}, {"from", o->from}};
    if (o->limit) body["limit"] = *o->limit;
    auto r = CallExpecting(*client, {{"GetActorEvents", body}}, "ActorEvents", *o, "events", exit_code);
    if (!r) return;
    for (const json& e : (*r)["events"]) PrintEvent(out, o->id, e);
  });
}

void AddSend(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions {
    std::string id, data;
    bool queued = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "send",
                          "Send a one-way message to an actor (its handle-send). It returns once the message\n"
                          "is written in the actor's chain: a server killed afterwards loses nothing it\n"
                          "acknowledged. With --queued it returns as soon as the message is in the mailbox.",
                          "  theater send 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 'hello'", *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->add_option("data", o->data, "The message (its UTF-8 bytes)")->required();
  cmd->add_flag("--queued", o->queued,
                "Return once the message is in the actor's mailbox (faster; lost if the server is killed\n"
                "before the actor handles it)");
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "send", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client,
                           {{"SendActorMessage", {{"id", o->id}, {"data", TextBytes(o->data)}, {"durable", !o->queued}}}},
                           "SentMessage", *o, "send", exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) out.Json({{"ok", true}, {"id", o->id}});
    else out.Line("sent", o->id);
  });
}

void AddRequest(CLI::App& app, int& exit_code) {
  struct Opts : ClientOptions {
    std::string id, data;
    std::optional<uint64_t> timeout;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = Command(app, "request", "Ask an actor (its handle-request) and print the response.",
                          "  theater request 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 'get a'", *o);
  cmd->add_option("id", o->id, "The actor's id")->required();
  cmd->add_option("data", o->data, "The request (its UTF-8 bytes)")->required();
  cmd->add_option("--timeout", o->timeout, "Give up after this many milliseconds (default: the server's)");
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "request", exit_code);
    if (!client) return;
    json body = {{"id", o->id}, {"data", TextBytes(o->data)}};
    if (o->timeout) body["timeout_ms"] = *o->timeout;
    auto r = CallExpecting(*client, {{"RequestActorMessage", body}}, "RequestedMessage", *o, "request", exit_code);
    if (!r) return;
    Bytes response = ProtocolBytes((*r)["message"]);
    Output out(o->json);
    if (out.json()) return out.Json({{"ok", true}, {"id", o->id}, {"response", BytesJson(response)}});
    std::printf("%s\n", IsValidUtf8(response) ? ToString(response).c_str() : ("0x" + ToHex(response)).c_str());
  });
}

void AddInfo(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ClientOptions>();
  CLI::App* cmd = Command(app, "info", "Show what the server says about itself (version, actors, clients).",
                          "  theater info --server 127.0.0.1:9000", *o);
  cmd->callback([o, &exit_code] {
    auto client = ConnectOrReport(*o, "info", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, "GetServerInfo", "ServerInfo", *o, "info", exit_code);
    if (!r) return;
    Output out(o->json);
    if (out.json()) return out.Json({{"ok", true}, {"server", *r}});
    for (const auto& [k, v] : r->items()) out.Line(k, v.is_string() ? v.get<std::string>() : v.dump());
  });
}

}  // namespace

void AddClientCommands(CLI::App& app, int& exit_code) {
  AddStart(app, exit_code);
  AddLifecycle(app, exit_code, "stop", "StopActor", "ActorStopped",
               "Stop an actor gracefully: its children first, then its current turn finishes.", "stopped");
  AddLifecycle(app, exit_code, "terminate", "TerminateActor", "ActorTerminated",
               "Terminate an actor now (a running call is ended).", "terminated");
  AddLifecycle(app, exit_code, "restart", "RestartActor", "ActorRestarted",
               "Restart an actor: a fresh instance with its initial state, same id and chain.", "restarted");
  AddList(app, exit_code);
  AddStatus(app, exit_code);
  AddState(app, exit_code);
  AddManifest(app, exit_code);
  AddEvents(app, exit_code);
  AddSend(app, exit_code);
  AddRequest(app, exit_code);
  AddInfo(app, exit_code);
}

}  // namespace theater::cli
