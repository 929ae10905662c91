// execute-command for theater:simple/filesystem: runs one allowed program (no shell) in a
// confined directory, with a cleared environment (PATH only, its absolute entries), stdin
// from /dev/null, a timeout and a cap on each output stream, on a thread of its own so
// that no worker waits for it. The program runs under theater-init (process_spawn.h): it
// and everything it started (also what called setsid) end at the timeout, past the output
// cap, when the command ends (no stray background processes), and when the actor
// finishes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/value.h"
#include "host/filesystem_paths.h"

namespace theater::host::fs {

struct CommandSpec {
  std::string program;            // a path to exec: absolute, or relative to `cwd`
  std::vector<std::string> argv;  // argv[0] is the command as the actor named it
  std::string path_env;           // the child's PATH
  UniqueFd cwd;                   // the confined directory it runs in
  uint64_t timeout_ms = 10'000;
  uint64_t max_output_bytes = 1 << 20;  // per stream
};

// Finds `command` (no '/') in the directories of `path_env`; the executable's path, or
// nullopt.
std::optional<std::string> FindOnPath(const std::string& command, const std::string& path_env);

// The commands an actor is running. Destroying it kills them and waits for their threads
// (a killed command's result is not delivered: its actor is finishing).
class CommandRunner {
 public:
  CommandRunner() = default;
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;
  ~CommandRunner();

  // Starts the command on its own thread; `done` gets a command-result value, or err(why)
  // when it could not be started, from that thread.
  void Start(CommandSpec spec, std::function<void(Value)> done);

 private:
  struct Job {
    UniqueFd cancel;  // an eventfd: written to stop the command
    std::atomic<bool> finished{false};
    std::thread thread;
  };
  void JoinFinished();
  std::vector<std::unique_ptr<Job>> jobs_;
};

}  // namespace theater::host::fs
