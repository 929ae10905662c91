#include "host/process_spawn.h"

#include "host/process_init_protocol.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace theater::host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kStartTimeoutMs = 10'000;

std::atomic<bool> namespaces_allowed{true};

using init_protocol::Record;

// theater-init: next to the running executable (an installed theater), else where the
// build put it (tests, a build tree). Empty when neither is there.
const std::string& InitPath() {
  static const std::string path = [] {
    std::vector<std::string> candidates;
    char exe[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
      std::string self(exe, static_cast<size_t>(n));
      candidates.push_back(self.substr(0, self.rfind('/') + 1) + "theater-init");
    }
#ifdef THEATER_INIT_PATH
    candidates.push_back(THEATER_INIT_PATH);
#endif
    for (const auto& c : candidates) {
      struct stat st;
      if (::stat(c.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(c.c_str(), X_OK) == 0) return c;
    }
    return std::string();
  }();
  return path;
}

// Says once per kind how processes are held when it is not the PID namespace we want.
void LogContainment(char mode, int why) {
  if (mode == 'P' || why == 0) return;
  static std::mutex mu;
  static std::set<std::pair<char, int>> logged;
  std::lock_guard lock(mu);
  if (!logged.insert({mode, why}).second) return;
  if (mode == 'U') {
    std::fprintf(stderr,
                 "theater: processes started by actors run in a user and PID namespace of their own "
                 "(a PID namespace alone was refused: %s)\n",
                 std::strerror(why));
  } else {
    std::fprintf(stderr,
                 "theater: warning: PID namespaces are refused (%s), user namespaces too: processes started by "
                 "actors are held only by theater-init as their subreaper, and one that stops or kills it can "
                 "outlive its actor (docs/host-interfaces.md)\n",
                 std::strerror(why));
  }
}

// A copy of `fd` numbered 10 or more (close-on-exec): dup2 onto 0..4 in the child then
// never overwrites a descriptor still to be copied.
fs::UniqueFd High(int fd) { return fs::UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 10)); }

struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

int32_t ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void ChildProcess::AllowNamespacesForTesting(bool allowed) { namespaces_allowed = allowed; }

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const ChildSpec& spec) {
  const std::string& shown = spec.argv.empty() ? spec.program : spec.argv[0];
  auto fail = [&](const std::string& why) { return Status::Error("could not start `" + shown + "`: " + why); };
  auto fail_errno = [&](const std::string& doing, int err) { return fail(doing + ": " + std::strerror(err)); };
  const std::string& init = InitPath();
  if (init.empty())
    return fail("theater-init was not found next to the theater executable (it is built and installed with it)");
  int status_pipe[2], control[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return fail_errno("pipe", errno);
  fs::UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) return fail_errno("socketpair", errno);
  fs::UniqueFd control_ours(control[0]), control_theirs(control[1]);
  // Numbered 0..4 in the init: its stdio, then the status pipe and the control socket.
  static_assert(init_protocol::kStatusFd == 3 && init_protocol::kControlFd == 4);
  fs::UniqueFd fds[5] = {High(spec.stdin_fd), High(spec.stdout_fd), High(spec.stderr_fd), High(status_write.get()),
                         High(control_theirs.get())};
  for (const auto& fd : fds)
    if (!fd.valid()) return fail_errno("dup", errno);

  SpawnSetup s;
  // The working directory first: `cwd_fd` may be one of the numbers the dup2s reuse.
  if (spec.cwd_fd >= 0) posix_spawn_file_actions_addfchdir_np(&s.actions, spec.cwd_fd);
  else if (spec.cwd) posix_spawn_file_actions_addchdir_np(&s.actions, spec.cwd->c_str());
  for (int i = 0; i < 5; ++i) posix_spawn_file_actions_adddup2(&s.actions, fds[i].get(), i);
  // Nothing else of the host's (sockets, chain files) reaches the init or the program.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, 5);
  // A process group of its own (a terminal's ^C does not reach it); signals the host
  // blocks or handles are back to normal.
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&s.attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigfillset(&defaults);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);

  std::vector<std::string> args = {init, namespaces_allowed ? "auto" : "group", spec.program};
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = spec.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  int rc = ::posix_spawn(&child->pid_, init.c_str(), &s.actions, &s.attr, argv.data(), envp.data());
  if (rc != 0) return fail_errno(init, rc);
  child->control_ = std::move(control_ours);
  status_write = fs::UniqueFd();
  for (auto& fd : fds) fd = fs::UniqueFd();

  // The init reports how it holds the program, then the status pipe ends when the program
  // was exec'd (its copy is close-on-exec) — or a record says why it was not.
  std::string failure;
  bool finished = false;
  std::string bytes;
  auto deadline = Clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  while (!finished) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      failure = "theater-init did not start it within " + std::to_string(kStartTimeoutMs) + " ms";
      break;
    }
    pollfd p{status_read.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) {
      failure = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (ready <= 0) continue;
    char buf[256];
    ssize_t n = ::read(status_read.get(), buf, sizeof buf);
    if (n > 0) bytes.append(buf, static_cast<size_t>(n));
    else if (n == 0 || (errno != EINTR && errno != EAGAIN)) finished = true;
  }
  for (size_t at = 0; at + sizeof(Record) <= bytes.size(); at += sizeof(Record)) {
    Record r;
    std::memcpy(&r, bytes.data() + at, sizeof r);
    if (r.kind == 'M') {
      child->containment_ = r.mode == 'P'   ? Containment::kPidNamespace
                            : r.mode == 'U' ? Containment::kUserPidNamespace
                                            : Containment::kSubreaper;
      LogContainment(r.mode, r.value);
    } else if (r.kind == 'E') {
      failure = std::strerror(r.value);
    } else if (r.kind == 'F') {
      failure = std::string("theater-init could not set up: ") + std::strerror(r.value);
    }
  }
  if (failure.empty() && bytes.empty()) failure = "theater-init ended before it started it";
  if (!failure.empty()) {
    child->EndAll();
    child->Wait();
    return fail(failure);
  }
  return child;
}

ChildProcess::~ChildProcess() {
  EndAll();
  Wait();
}

Status ChildProcess::Signal(int signal) {
  if (reaped_ || ended_) return Status::Error("the process has ended");
  if (signal == SIGKILL) {
    EndAll();
    return Status::Ok();
  }
  unsigned char byte = static_cast<unsigned char>(signal);
  if (::send(control_.get(), &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
    return Status::Error(std::string("could not signal the process: ") + std::strerror(errno));
  return Status::Ok();
}

void ChildProcess::EndAll() {
  if (ended_) return;
  ended_ = true;
  control_ = fs::UniqueFd();  // EOF: the init ends everything and exits
  if (reaped_) return;        // its pid may be another's now
  // In a namespace the init's death is enough: the kernel kills the rest. The subreaper
  // must live to do it, so it is only woken in case it was stopped.
  ::kill(pid_, containment_ == Containment::kSubreaper ? SIGCONT : SIGKILL);
}

std::optional<int32_t> ChildProcess::Wait(int grace_ms) {
  if (reaped_ || pid_ <= 0) return std::nullopt;
  auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
  bool killed = false;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, ended_ && !killed ? WNOHANG : 0);
    if (r == pid_) {
      reaped_ = true;
      return ExitCodeOf(status);
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      reaped_ = true;
      return std::nullopt;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);  // a subreaper that does not end: what it holds escapes
      killed = true;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::optional<int32_t> ChildProcess::TryReap() {
  if (reaped_ || pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == 0) return std::nullopt;
  reaped_ = true;
  return r < 0 ? -1 : ExitCodeOf(status);  // -1: someone else reaped it
}

namespace {

// The absolute entries of a PATH value, in order.
std::vector<std::string> AbsoluteEntries(const std::string& path_env) {
  std::vector<std::string> dirs;
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(start, end - start);
    start = end + 1;
    if (!dir.empty() && dir.front() == '/') dirs.push_back(std::move(dir));
  }
  return dirs;
}

}  // namespace

std::optional<std::string> FindOnPath(const std::string& command, const std::string& path_env) {
  for (const std::string& dir : AbsoluteEntries(path_env)) {
    std::string candidate = dir + "/" + command;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

std::string AbsolutePathEntries(const std::string& path_env) {
  std::string out;
  for (const std::string& dir : AbsoluteEntries(path_env)) out += (out.empty() ? "" : ":") + dir;
  return out;
}

}  // namespace theater::host
