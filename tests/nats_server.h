// A nats-server (Debian's) on loopback for the cluster's tests and benchmark: started with
// a token, optionally one of a routed pair (to cut a cluster in two by stopping one).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "loopback.h"

extern char** environ;

namespace theater::testing {

class NatsServer {
 public:
  // Its output goes to `log` (never to the caller's stdout: a server outliving a crashed
  // test would hold ctest's pipe open). With `cluster_port`, it routes to `route_port`.
  NatsServer(uint16_t port, std::string token, std::filesystem::path log = "/dev/null", uint16_t cluster_port = 0,
             uint16_t route_port = 0)
      : port_(port), cluster_port_(cluster_port), route_port_(route_port), token_(std::move(token)),
        log_(std::move(log)) {
    Start();
  }
  ~NatsServer() { Stop(); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts it and waits (up to 5 s) until it accepts connections.
  void Start() {
    std::vector<std::string> args = {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port_), "--auth", token_};
    if (cluster_port_)
      args.insert(args.end(), {"--cluster", "nats://127.0.0.1:" + std::to_string(cluster_port_), "--routes",
                               "nats://127.0.0.1:" + std::to_string(route_port_), "--no_advertise"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    if (::posix_spawnp(&pid_, "nats-server", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 200 && pid_ > 0 && !Listening(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0 && Listening(port_); }
  pid_t pid() const { return pid_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  uint16_t port_, cluster_port_, route_port_;
  std::string token_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

}  // namespace theater::testing
