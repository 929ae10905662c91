// The operating-system processes an actor started through theater:simple/process. Each runs
// under theater-init (process_spawn.h: a PID namespace of its own where the kernel allows),
// without a shell, with only the environment the actor gave it (checked: process_env.h);
// one I/O thread per process reads its output, hands it to the actor's process-handlers
// exports (through the actor's mailbox) and reports its exit. Destroying a Process ends it
// and everything it started, and reaps it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "host/process_spawn.h"

namespace theater {
class HostServices;
}

namespace theater::host {

enum class OutputMode { kRaw, kLines, kJson, kChunked };

struct ProcessSpec {
  std::string program;  // as the actor named it (argv[0])
  std::string path;     // what is exec'd: `program` found on the host's PATH, or `program` itself
  std::vector<std::string> args;
  std::optional<std::string> cwd;
  std::vector<std::string> env;  // "NAME=VALUE", checked against the manifest
  size_t read_size = 4096;   // buffer-size: the most read (and, raw, delivered) at once
  size_t chunk_size = 4096;  // chunked mode
  OutputMode stdout_mode = OutputMode::kRaw, stderr_mode = OutputMode::kRaw;
  std::optional<uint64_t> timeout_ms;
  size_t max_output_buffer = 1024 * 1024;
};

class Process {
 public:
  // Starts the program; its output goes to `actor_id`'s process-handlers as process `id`.
  static Result<std::unique_ptr<Process>> Start(uint64_t id, ProcessSpec spec, HostServices* services, std::string actor_id);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Writes what the pipe takes now (never blocks); empty data closes stdin.
  Result<uint32_t> WriteStdin(const Bytes& data);
  Status Signal(int signal);
  bool running() const { return !exited_.load(); }
  std::optional<int32_t> exit_code() const;
  uint64_t start_ms() const { return start_ms_; }

 private:
  Process(uint64_t id, ProcessSpec spec, HostServices* services, std::string actor_id)
      : id_(id), spec_(std::move(spec)), services_(services), actor_id_(std::move(actor_id)) {}
  void Run();
  void Deliver(const char* function, Bytes data);
  void Kill();

  uint64_t id_;
  ProcessSpec spec_;
  HostServices* services_;
  std::string actor_id_;
  std::mutex child_mu_;  // Signal (a worker) and the I/O thread both act on the child
  std::unique_ptr<ChildProcess> child_;
  uint64_t start_ms_ = 0;
  int stdin_fd_ = -1, stdout_fd_ = -1, stderr_fd_ = -1;
  std::mutex stdin_mu_;
  std::atomic<bool> stop_{false};
  bool killed_ = false;  // the I/O thread's: everything was ended
  bool output_exceeded_ = false;  // the I/O thread's: killed for max_output_buffer, output dropped
  std::atomic<bool> exited_{false};
  std::atomic<int32_t> code_{0};
  // Bytes handed to the actor and not yet handled; shared with the calls' callbacks.
  std::shared_ptr<std::atomic<uint64_t>> in_flight_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::thread thread_;
};

}  // namespace theater::host
