#include "host/process_table.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/actor_context.h"
#include "runtime/actor_system.h"
#include "runtime/export_call.h"

namespace theater::host {
namespace {

constexpr char kHandlers[] = "theater:simple/process-handlers";
constexpr char kOutputSignature[] = "func(option<list<u8>>, tuple<u64, list<u8>>) -> result<tuple<option<list<u8>>>, string>";
constexpr char kExitSignature[] = "func(option<list<u8>>, tuple<u64, s32>) -> result<tuple<option<list<u8>>>, string>";

// Cuts one stream's output into what the actor receives, by its mode.
class Splitter {
 public:
  Splitter(OutputMode mode, size_t chunk) : mode_(mode), chunk_(chunk) {}
  // Adds bytes; returns the pieces complete now.
  std::vector<Bytes> Feed(const uint8_t* data, size_t n) {
    std::vector<Bytes> out;
    if (mode_ == OutputMode::kRaw) {
      out.emplace_back(data, data + n);
      return out;
    }
    pending_.insert(pending_.end(), data, data + n);
    if (mode_ == OutputMode::kChunked) {
      size_t at = 0;
      for (; pending_.size() - at >= chunk_; at += chunk_) out.emplace_back(pending_.begin() + at, pending_.begin() + at + chunk_);
      pending_.erase(pending_.begin(), pending_.begin() + at);
      return out;
    }
    size_t start = 0;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i] != '\n') continue;
      Line(Bytes(pending_.begin() + start, pending_.begin() + i), out);
      start = i + 1;
    }
    pending_.erase(pending_.begin(), pending_.begin() + start);
    return out;
  }
  // At the end of the stream: what is left (a last line without newline).
  std::vector<Bytes> Finish() {
    std::vector<Bytes> out;
    if (pending_.empty()) return out;
    if (mode_ == OutputMode::kChunked) out.push_back(std::move(pending_));
    else Line(std::move(pending_), out);
    pending_.clear();
    return out;
  }
  size_t pending() const { return pending_.size(); }

 private:
  // Lines are delivered without their newline (and a trailing CR); json mode drops lines
  // that are not JSON.
  void Line(Bytes line, std::vector<Bytes>& out) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (mode_ == OutputMode::kJson && !nlohmann::json::accept(line.begin(), line.end())) return;
    out.push_back(std::move(line));
  }
  OutputMode mode_;
  size_t chunk_;
  Bytes pending_;
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

int32_t ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<std::unique_ptr<Process>> Process::Start(uint64_t id, ProcessSpec spec, ActorSystem* system, std::string actor_id) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  Fd in_r{in[0]}, in_w{in[1]};
  if (pipe2(out, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  Fd out_r{out[0]}, out_w{out[1]};
  if (pipe2(err, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  Fd err_r{err[0]}, err_w{err[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  if (spec.cwd) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd->c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigfillset(&defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a kill reaches its children too
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_text;
  for (const auto& [k, v] : spec.env) env_text.push_back(k + "=" + v);
  std::vector<char*> argv{const_cast<char*>(spec.program.c_str())}, envp;
  for (auto& a : spec.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_text) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  auto process = std::unique_ptr<Process>(new Process(id, std::move(spec), system, std::move(actor_id)));
  // posix_spawnp looks the program up in the host's PATH (the child's environment is only
  // what the actor gave).
  int rc = posix_spawnp(&process->pid_, process->spec_.program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::Error("could not start `" + process->spec_.program + "`: " + strerror(rc));
  process->start_ms_ = NowMs();
  fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  fcntl(out_r.fd, F_SETFL, O_NONBLOCK);
  fcntl(err_r.fd, F_SETFL, O_NONBLOCK);
  process->stdin_fd_ = std::exchange(in_w.fd, -1);
  process->stdout_fd_ = std::exchange(out_r.fd, -1);
  process->stderr_fd_ = std::exchange(err_r.fd, -1);
  process->thread_ = std::thread([p = process.get()] { p->Run(); });
  return process;
}

Process::~Process() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(stdin_mu_);
  if (stdin_fd_ >= 0) close(stdin_fd_);
}

std::optional<int32_t> Process::exit_code() const {
  if (!exited_.load()) return std::nullopt;
  return code_.load();
}

Result<uint32_t> Process::WriteStdin(const Bytes& data) {
  std::lock_guard lock(stdin_mu_);
  if (stdin_fd_ < 0) return Status::Error("stdin of process " + std::to_string(id_) + " is closed");
  if (data.empty()) {
    close(std::exchange(stdin_fd_, -1));
    return 0u;
  }
  // A child that closed its stdin must not kill the host with SIGPIPE: block it here and
  // swallow the one the write raises.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(stdin_fd_, data.data(), data.size());
  int error = errno;
  if (n < 0 && error == EPIPE) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (n >= 0) return static_cast<uint32_t>(n);
  if (error == EAGAIN) return 0u;  // the pipe is full: the child is not reading
  return Status::Error("writing to process " + std::to_string(id_) + " failed: " + strerror(error));
}

Status Process::Signal(int signal) {
  if (exited_.load()) return Status::Error("process " + std::to_string(id_) + " has exited");
  if (kill(-pid_, signal) != 0) return Status::Error(std::string("kill: ") + strerror(errno));
  return Status::Ok();
}

void Process::Kill() {
  if (killed_) return;
  killed_ = true;
  kill(-pid_, SIGKILL);
}

void Process::Deliver(const char* function, Bytes data) {
  if (stop_.load() || output_exceeded_) return;
  if (in_flight_->load() + data.size() + 64 > spec_.max_output_buffer) {
    output_exceeded_ = true;
    Kill();  // the actor does not keep up: the process goes rather than the host's memory
    return;
  }
  auto call = std::make_shared<ExportCall>();
  call->interface = kHandlers;
  call->function = function;
  call->signature = kOutputSignature;
  // Each queued call costs more than its bytes: count a little per call, so that a flood
  // of tiny lines is bounded too.
  size_t size = data.size() + 64;
  call->params = {Value::U64(id_), Value::BytesValue(std::move(data))};
  *in_flight_ += size;
  call->done = [in_flight = in_flight_, size](Result<ValueList>) { *in_flight -= size; };
  // Not exported, or no room in the mailbox: the output is dropped.
  if (!system_->CallExport(actor_id_, call).ok()) *in_flight_ -= size;
}

void Process::Run() {
  Splitter out(spec_.stdout_mode, spec_.chunk_size), err(spec_.stderr_mode, spec_.chunk_size);
  auto deadline = spec_.timeout_ms ? std::optional(std::chrono::steady_clock::now() + std::chrono::milliseconds(*spec_.timeout_ms))
                                   : std::nullopt;
  Bytes buffer(spec_.read_size);
  bool exited = false;
  while (true) {
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    poll(fds, 2, 50);
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? stdout_fd_ : stderr_fd_;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(std::exchange(fd, -1));
        continue;
      }
      if (n < 0) continue;
      Splitter& s = i == 0 ? out : err;
      for (auto& piece : s.Feed(buffer.data(), n)) Deliver(i == 0 ? "handle-stdout" : "handle-stderr", std::move(piece));
      if (s.pending() > spec_.max_output_buffer) {  // a line (or chunk) longer than the limit
        output_exceeded_ = true;
        Kill();
      }
    }
    if (!exited) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;
        code_ = ExitCodeOf(status);
        Kill();  // what it left running in its group goes too, so its pipes close
      }
    }
    if (stop_.load() || (deadline && std::chrono::steady_clock::now() >= *deadline)) Kill();
    if (exited && ((stdout_fd_ < 0 && stderr_fd_ < 0) || stop_.load())) break;
    if (killed_ && !exited) {
      int status = 0;
      if (waitpid(pid_, &status, 0) == pid_) {
        exited = true;
        code_ = ExitCodeOf(status);
      }
    }
  }
  for (int* fd : {&stdout_fd_, &stderr_fd_})
    if (*fd >= 0) close(std::exchange(*fd, -1));
  for (auto& piece : out.Finish()) Deliver("handle-stdout", std::move(piece));
  for (auto& piece : err.Finish()) Deliver("handle-stderr", std::move(piece));
  exited_ = true;
  if (stop_.load()) return;
  auto call = std::make_shared<ExportCall>();
  call->interface = kHandlers;
  call->function = "handle-exit";
  call->signature = kExitSignature;
  call->params = {Value::U64(id_), Value::S32(code_.load())};
  (void)system_->CallExport(actor_id_, call);  // no handler: nobody to tell
}

}  // namespace theater::host
