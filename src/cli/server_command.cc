// theater server [--listen ADDR] [--http ADDR] [--token TOKEN] [--fresh] [--cluster URL --node NAME] ...:
// the long-lived server, alone or as a node of a cluster.
#include <csignal>
#include <thread>

#include "cli/commands.h"
#include "common/files.h"
#include "server/server.h"

namespace theater::cli {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:9000";
  std::string http;
  std::string token;
  bool fresh = false;
  bool sync = false;
  size_t workers = 0;
  size_t max_frame = server::kDefaultMaxFrameBytes;
  size_t max_connections = 1024;
  uint64_t timeout_ms = 5000;
  size_t max_actors = 0;
  size_t max_tree_actors = SystemOptions().max_tree_actors;
  uint64_t idle_timeout_ms = 300'000;
  uint64_t frame_timeout_ms = 30'000;
  std::string cluster;
  std::string node;
  std::string cluster_token_file;
  uint64_t node_timeout_ms = 3000;
};

// The cluster's token: from --cluster-token-file (a regular file, its first line), else
// THEATER_CLUSTER_TOKEN.
Result<std::string> ClusterToken(const std::string& file) {
  if (file.empty()) {
    const char* t = std::getenv("THEATER_CLUSTER_TOKEN");
    return std::string(t ? t : "");
  }
  auto bytes = ReadFile(file, 4096);
  if (!bytes.ok()) return Status::Error("--cluster-token-file: " + bytes.error());
  std::string token = ToString(*bytes);
  token = token.substr(0, token.find_first_of("\r\n"));
  if (token.empty()) return Status::Error("--cluster-token-file " + file + ": the first line is empty");
  return token;
}

int Serve(const ServeOptions& o, const GlobalOptions& global) {
  server::ServerOptions options;
  options.listen = o.listen;
  options.http_listen = o.http;
  options.data_dir = global.DataDir();
  options.auth_token = o.token;
  if (options.auth_token.empty())
    if (const char* t = std::getenv("THEATER_TOKEN")) options.auth_token = t;
  options.fresh = o.fresh;
  options.max_frame_bytes = o.max_frame;
  options.max_connections = o.max_connections;
  options.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  options.frame_timeout = std::chrono::milliseconds(o.frame_timeout_ms);
  options.system.workers = o.workers;
  options.system.chain_store.sync = o.sync;
  options.system.request_timeout = std::chrono::milliseconds(o.timeout_ms);
  options.system.max_actors = o.max_actors;
  options.system.max_tree_actors = o.max_tree_actors;
  if (!o.cluster.empty()) {
    auto token = ClusterToken(o.cluster_token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "theater server: %s\n", token.error().c_str());
      return kExitUsage;
    }
    options.cluster.url = o.cluster;
    options.cluster.node = o.node;
    options.cluster.secret = *token;
    options.cluster.node_timeout = std::chrono::milliseconds(o.node_timeout_ms);
    if (options.cluster.node.empty()) {
      std::fprintf(stderr, "theater server: --cluster needs --node NAME (this node's name in the cluster)\n");
      return kExitUsage;
    }
  }

  // SIGINT and SIGTERM stop the server cleanly: every actor's chain is written out and
  // the actors come back on the next start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = server::Server::Create(options);
  if (!server.ok()) {
    std::fprintf(stderr, "theater server: %s\n", server.error().c_str());
    return kExitUsage;
  }
  std::printf("theater server listening on %s (data in %s)\n", (*server)->listen_address().c_str(),
              options.data_dir.string().c_str());
  if (!(*server)->http_address().empty())
    std::printf("theater dashboard on http://%s/\n", (*server)->http_address().c_str());
  if (auto* node = (*server)->cluster())
    std::printf("theater node %s in the cluster at %s\n", node->name().c_str(), node->url().c_str());
  std::fflush(stdout);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "theater server: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
    (*server)->Stop();
  });
  (*server)->Run();
  // Run ended without a signal (it cannot today, but do not leave the waiter behind).
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  server->reset();
  return kExitOk;
}

}  // namespace

CLI::App* AddServerCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "server",
      "Run Theater as a long-lived server, driven by the management protocol over TCP\n"
      "(docs/protocol.md) from `theater start/list/send/...` or your own programs.\n"
      "Actors that were running when it last stopped (or crashed) are brought back, from\n"
      "their last recorded state, with their chains going on.");
  cmd->add_option("--listen", o->listen, "Address to listen on, HOST:PORT (port 0: any free port)")->capture_default_str();
  cmd->add_option("--http", o->http,
                  "Also serve the dashboard (docs/dashboard.md) on this address, HOST:PORT, e.g.\n"
                  "127.0.0.1:9080 (port 0: any free port). Off by default. Beyond loopback it needs --token,\n"
                  "which the page then asks for");
  cmd->add_option("--token", o->token,
                  "Clients must authenticate with this token (default: $THEATER_TOKEN). Required when\n"
                  "listening on an address that is not loopback");
  cmd->add_flag("--fresh", o->fresh, "Start empty: forget the actors of the last run (their chains stay)");
  cmd->add_flag("--sync", o->sync, "fdatasync chains at every group commit (survives power loss, slower)");
  cmd->add_option("--workers", o->workers, "Worker threads running actors (default: one per core)");
  cmd->add_option("--max-frame", o->max_frame, "Largest frame a client may send, in bytes")->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections, "Clients at once; more are refused")->capture_default_str();
  cmd->add_option("--timeout", o->timeout_ms, "Default request timeout, in milliseconds")->capture_default_str();
  cmd->add_option("--max-actors", o->max_actors,
                  "Live actors at most (default: derived from vm.max_map_count); actors spawned by\n"
                  "actors leave the last 1/32 (at least 16) for actors started by clients");
  cmd->add_option("--max-tree-actors", o->max_tree_actors,
                  "Live actors at most in one supervision tree (a top-level actor and its\n"
                  "descendants); 0: no limit but --max-actors")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", o->idle_timeout_ms,
                  "Close a connection that sends nothing and waits for nothing (no command, subscription\n"
                  "or channel) for this long, in milliseconds; 0: never")
      ->capture_default_str();
  cmd->add_option("--frame-timeout", o->frame_timeout_ms,
                  "A frame must arrive whole within this long of its first byte, in milliseconds; 0: no limit")
      ->capture_default_str();
  cmd->add_option("--cluster", o->cluster,
                  "Join a cluster of servers through this NATS server, nats://HOST:PORT (docs/cluster.md)");
  cmd->add_option("--node", o->node, "This node's name in the cluster (letters, digits, '-', '_'); needs --cluster");
  cmd->add_option("--cluster-token-file", o->cluster_token_file,
                  "File whose first line is the cluster's token (else THEATER_CLUSTER_TOKEN): it seals node-to-node "
                  "messages and is the NATS server's token");
  cmd->add_option("--node-timeout", o->node_timeout_ms,
                  "A node not heard from this long is lost (its actors are reported node-lost), in milliseconds")
      ->capture_default_str();
  cmd->footer(
      "Examples:\n"
      "  theater server                              # 127.0.0.1:9000, data in ~/.theater\n"
      "  theater --data-dir /tmp/t server --fresh\n"
      "  THEATER_TOKEN=s3cret theater server --listen 0.0.0.0:9000\n"
      "  theater server --http 127.0.0.1:9080          # and the dashboard at http://127.0.0.1:9080/\n"
      "  THEATER_CLUSTER_TOKEN=k theater server --cluster nats://127.0.0.1:4222 --node a\n"
      "Stop it with Ctrl-C or SIGTERM. Exit status: 0 stopped, 2 could not start.");
  cmd->callback([o, &global, &exit_code] { exit_code = Serve(*o, global); });
  return cmd;
}

}  // namespace theater::cli
