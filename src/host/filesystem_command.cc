#include "host/filesystem_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include "common/bytes.h"
#include "host/process_spawn.h"

namespace theater::host::fs {
namespace {

using Clock = std::chrono::steady_clock;

Value CommandError(const std::string& message) {
  return Value::Ok(Value::Variant("error", Value::Record({{"message", Value::String(message)}})));
}

Value CommandSuccess(const std::string& out, const std::string& err, int32_t exit_code) {
  return Value::Ok(Value::Variant("success", Value::Record({{"stdout", Value::String(ToValidUtf8(out))},
                                                            {"stderr", Value::String(ToValidUtf8(err))},
                                                            {"exit-code", Value::S32(exit_code)}})));
}

std::string Quoted(const std::string& command) { return "`" + command + "`"; }

struct Spawned {
  std::unique_ptr<ChildProcess> child;
  UniqueFd out, err;  // the read ends of the child's stdout and stderr
};

Result<Spawned> Spawn(const CommandSpec& spec) {
  auto fail = [&](const std::string& doing, int err) {
    return Status::Error("cannot start " + Quoted(spec.argv.at(0)) + ": " + doing + ": " + std::strerror(err));
  };
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return fail("pipe", errno);
  UniqueFd out_read(out[0]), out_write(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return fail("pipe", errno);
  UniqueFd err_read(err[0]), err_write(err[1]);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull.valid()) return fail("/dev/null", errno);
  for (int fd : {out_read.get(), err_read.get()}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  ChildSpec child;
  child.program = spec.program;
  child.argv = spec.argv;
  // PATH alone, with only its absolute entries: a relative one would be the actor's directory.
  child.env = {"PATH=" + AbsolutePathEntries(spec.path_env)};
  child.stdin_fd = devnull.get();
  child.stdout_fd = out_write.get();
  child.stderr_fd = err_write.get();
  // The confined directory, by descriptor: nothing can swap it for another between the
  // check and the exec.
  child.cwd_fd = spec.cwd.get();
  auto started = ChildProcess::Start(child);
  if (!started.ok()) return started.status();
  return Spawned{std::move(*started), std::move(out_read), std::move(err_read)};
}

// Reads once from `fd` into `into` (the caller checks the cap between reads); false at
// the end of the stream (or when it fails).
bool Drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

// Runs the spawned command to its end (or the timeout, the output cap, a cancel) and
// returns its command-result; nullopt when cancelled.
std::optional<Value> Supervise(const CommandSpec& spec, Spawned& child, int cancel_fd) {
  // A pidfd tells when the command's init exits (the command ended and nothing it started
  // is left) without reaping it.
  pid_t pid = child.child->pid();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  auto deadline = Clock::now() + std::chrono::milliseconds(spec.timeout_ms);
  std::string out, err, failure;
  bool out_open = true, err_open = true, exited = false, cancelled = false;
  while (out_open || err_open || !exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      failure = Quoted(spec.argv[0]) + " timed out after " + std::to_string(spec.timeout_ms) + " ms and was killed";
      break;
    }
    pollfd fds[4] = {{cancel_fd, POLLIN, 0}, {out_open ? child.out.get() : -1, POLLIN, 0},
                     {err_open ? child.err.get() : -1, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    // Without a pidfd (an old kernel) the exit is checked every 50 ms.
    int wait_ms = static_cast<int>(pidfd.valid() ? std::min<long long>(left, 60'000) : std::min<long long>(left, 50));
    if (::poll(fds, 4, wait_ms) < 0 && errno != EINTR) {
      failure = "cannot watch " + Quoted(spec.argv[0]) + ": " + std::strerror(errno);
      break;
    }
    if (fds[0].revents) {
      cancelled = true;
      break;
    }
    if (fds[1].revents) out_open = Drain(child.out.get(), out);
    if (fds[2].revents) err_open = Drain(child.err.get(), err);
    for (auto [name, text] : {std::pair<const char*, std::string*>{"stdout", &out}, {"stderr", &err}}) {
      if (text->size() > spec.max_output_bytes && failure.empty())
        failure = Quoted(spec.argv[0]) + " wrote more than max_output_bytes (" + std::to_string(spec.max_output_bytes) +
                  " bytes) to " + name + " and was killed";
    }
    if (!failure.empty()) break;
    if (pidfd.valid()) {
      if (fds[3].revents) exited = true;
    } else {
      siginfo_t info{};
      exited = ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
    }
  }
  // Stopped (timeout, output cap, cancel): the command and everything it started go. Ended
  // by itself: its init has already ended what it left behind.
  if (!exited) child.child->EndAll();
  int32_t code = child.child->Wait().value_or(-1);
  if (cancelled) return std::nullopt;
  if (!failure.empty()) return CommandError(failure);
  return CommandSuccess(out, err, code);
}

}  // namespace

std::optional<std::string> FindOnPath(const std::string& command, const std::string& path_env) {
  return host::FindOnPath(command, path_env);
}

CommandRunner::~CommandRunner() {
  for (auto& job : jobs_) {
    if (!job->finished) {
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(job->cancel.get(), &one, sizeof one);
    }
  }
  for (auto& job : jobs_)
    if (job->thread.joinable()) job->thread.join();
}

void CommandRunner::JoinFinished() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if ((*it)->finished) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

void CommandRunner::Start(CommandSpec spec, std::function<void(Value)> done) {
  JoinFinished();
  auto job = std::make_unique<Job>();
  job->cancel = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!job->cancel.valid()) {
    done(Value::Err(Value::String(std::string("cannot start the command: eventfd: ") + std::strerror(errno))));
    return;
  }
  Job* raw = job.get();
  auto finish = std::make_shared<std::function<void(Value)>>(std::move(done));
  try {
    job->thread = std::thread([raw, spec = std::move(spec), finish]() mutable {
      auto spawned = Spawn(spec);
      if (!spawned.ok()) {
        (*finish)(Value::Err(Value::String(spawned.error())));
      } else if (auto result = Supervise(spec, *spawned, raw->cancel.get())) {
        (*finish)(std::move(*result));
      }
      raw->finished = true;
    });
  } catch (const std::system_error& e) {
    (*finish)(Value::Err(Value::String(std::string("cannot start the command: ") + e.what())));
    return;
  }
  jobs_.push_back(std::move(job));
}

}  // namespace theater::host::fs
