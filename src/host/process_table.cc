#include "host/process_table.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/actor_context.h"
#include "runtime/export_call.h"
#include "runtime/host_services.h"
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

}  // namespace

Result<std::unique_ptr<Process>> Process::Start(uint64_t id, ProcessSpec spec, HostServices* services, std::string actor_id) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  Fd in_r{in[0]}, in_w{in[1]};
  if (pipe2(out, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  Fd out_r{out[0]}, out_w{out[1]};
  if (pipe2(err, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  Fd err_r{err[0]}, err_w{err[1]};

  ChildSpec child;
  child.program = spec.path;
  child.argv.push_back(spec.program);
  child.argv.insert(child.argv.end(), spec.args.begin(), spec.args.end());
  child.env = spec.env;
  child.stdin_fd = in_r.fd;
  child.stdout_fd = out_w.fd;
  child.stderr_fd = err_w.fd;
  child.cwd = spec.cwd;
  auto started = ChildProcess::Start(child);
  if (!started.ok()) return started.status();

  auto process = std::unique_ptr<Process>(new Process(id, std::move(spec), services, std::move(actor_id)));
  process->child_ = std::move(*started);
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
  std::lock_guard lock(child_mu_);
  if (exited_.load()) return Status::Error("process " + std::to_string(id_) + " has exited");
  Status sent = child_->Signal(signal);
  return sent.ok() ? sent : Status::Error("process " + std::to_string(id_) + ": " + sent.message());
}

void Process::Kill() {
  if (killed_) return;
  killed_ = true;
  std::lock_guard lock(child_mu_);
  child_->EndAll();
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
  if (!services_->CallExport(actor_id_, call).ok()) *in_flight_ -= size;
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
      // The init exits once the program has and nothing it started is left: its pipes
      // close with it.
      std::lock_guard lock(child_mu_);
      if (auto code = child_->TryReap()) {
        exited = true;
        code_ = *code;
      }
    }
    if (stop_.load() || (deadline && std::chrono::steady_clock::now() >= *deadline)) Kill();
    if (exited && ((stdout_fd_ < 0 && stderr_fd_ < 0) || stop_.load())) break;
    if (killed_ && !exited) {
      std::lock_guard lock(child_mu_);
      code_ = child_->Wait().value_or(128 + SIGKILL);
      exited = true;
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
  (void)services_->CallExport(actor_id_, call);  // no handler: nobody to tell
}

}  // namespace theater::host
