// A server the benchmarks run in their own process, on a free loopback port.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/client.h"
#include "server/server.h"

namespace theater::bench {

[[noreturn]] inline void Fail(const std::string& why) {
  std::fprintf(stderr, "benchmark: %s\n", why.c_str());
  std::exit(1);
}

inline std::filesystem::path TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "theater-bench-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

// Serves on its own thread until destroyed. `workers`: the actor system's worker threads
// (0: one per core).
class RunningServer {
 public:
  explicit RunningServer(size_t workers = 0, const std::function<void(server::ServerOptions&)>& configure = {})
      : dir_(TempDir()) {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.system.workers = workers;
    options.data_dir = dir_;
    options.log = [](const std::string&) {};
    if (configure) configure(options);
    auto created = server::Server::Create(std::move(options));
    if (!created.ok()) Fail("server: " + created.error());
    server_ = std::move(*created);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RunningServer() {
    server_->Stop();
    thread_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  server::Server* operator->() { return server_.get(); }
  const std::filesystem::path& dir() const { return dir_; }

  std::unique_ptr<server::Client> Connect() {
    auto client = server::Client::Connect(address());
    if (!client.ok()) Fail("connect: " + client.error());
    return std::move(*client);
  }

  // Starts `n` actors of `component` (e.g. tests/guests/messenger.c) through the protocol; their ids.
  std::vector<std::string> StartEchoActors(size_t n, const std::string& messenger) {
    auto client = Connect();
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back(StartEcho(*client, messenger));
    server_->system().WaitIdle(std::chrono::seconds(10));  // every init done before timing
    return ids;
  }

  static std::string EchoManifest(const std::string& messenger) {
    return "name = \"echo\"\nversion = \"0.1.0\"\ncomponent = \"" + messenger +
           "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
  }
  static std::string StartEcho(server::Client& client, const std::string& messenger) {
    auto r = client.Call(server::json{{"StartActor", {{"manifest", EchoManifest(messenger)}}}});
    if (!r.ok() || !r->contains("ActorStarted")) Fail("StartActor: " + (r.ok() ? r->dump() : r.error()));
    return (*r)["ActorStarted"]["id"].get<std::string>();
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
};

}  // namespace theater::bench
