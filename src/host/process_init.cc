// theater-init: the first process of every program an actor starts (theater:simple/process
// and filesystem execute-command), so that everything the program starts can be ended with
// it — also what called setsid or double-forked.
//
//   theater-init auto|group PROGRAM ARGV0 ARG...
//   fd 0-2: the program's stdio; fd 3: status pipe to the host (write end); fd 4: control
//   socket from the host (each byte: a signal for the program's process group; EOF: end
//   everything). See process_spawn.h for the host's side.
//
// With `auto` it makes a PID namespace for the program: unshare(CLONE_NEWPID), or, when
// that is refused (not root), unshare(CLONE_NEWUSER | CLONE_NEWPID) mapping only our own
// uid and gid. The process the host started (the "outer" init) stays in the host's
// namespace and forks the "inner" init, PID 1 of the new namespace, which forks the
// program. When the program ends, or the host closes the control socket, the inner init
// exits and the kernel kills every process left in the namespace; the outer init forwards
// the exit status. A SIGKILL of the outer init (the host's way to stop at once) reaches
// the inner one as its parent-death signal.
//
// With `group`, or when namespaces are refused altogether, the outer init is itself the
// reaper: a child subreaper (PR_SET_CHILD_SUBREAPER) to which every orphaned descendant is
// reparented, killing them all (SIGKILL, level after level) before it exits. Weaker: a
// program running as the same user can stop or kill the reaper.
//
// A program of its own (exec'd by the host with posix_spawn) rather than a fork of the
// host: a forked copy of the host would pin a copy-on-write snapshot of all of the host's
// memory for as long as the program runs. It uses libc only and is linked statically.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "host/process_init_protocol.h"

extern char** environ;

namespace {

using theater::host::init_protocol::kControlFd;
using theater::host::init_protocol::kStatusFd;
using theater::host::init_protocol::Record;

void Report(char kind, char mode, int value) {
  Record r{kind, mode, {0, 0}, value};
  // A pipe write below PIPE_BUF is atomic; a host that went away is no reason to stop.
  [[maybe_unused]] ssize_t n = write(kStatusFd, &r, sizeof r);
}

int CodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

// Our copies of the program's stdio go, so that the program alone decides when its
// output ends and when its stdin is no longer read.
void DropStdio() {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) {
    if (null >= 0) dup2(null, fd);
    else close(fd);
  }
  if (null > 2) close(null);
}

bool WriteFile(const char* path, const std::string& text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Unprivileged: a user namespace of our own, in which we may make a PID namespace. Only
// our own uid and gid are mapped (to themselves), so the program keeps its ids and gains
// no privilege; ids of others show as the overflow id inside.
bool EnterUserNamespace() {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0) return false;
  WriteFile("/proc/self/setgroups", "deny");
  WriteFile("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
  WriteFile("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
  return true;
}

// Our children now: /proc/self/task/TID/children, or (a kernel without it) a scan of
// /proc for processes whose parent we are.
std::vector<pid_t> Children() {
  std::vector<pid_t> out;
  std::string self = std::to_string(getpid());
  if (FILE* f = fopen(("/proc/self/task/" + self + "/children").c_str(), "re")) {
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) out.push_back(static_cast<pid_t>(pid));
    fclose(f);
    return out;
  }
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* e = readdir(proc)) {
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    FILE* f = fopen(("/proc/" + std::string(e->d_name) + "/stat").c_str(), "re");
    if (!f) continue;
    char line[1024];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, the last ')' ends it.
    const char* close_paren = strrchr(line, ')');
    long ppid = 0;
    if (close_paren && sscanf(close_paren + 1, " %*c %ld", &ppid) == 1 && ppid == getpid())
      out.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return out;
}

// As a subreaper: kills every descendant. Killing our children reparents their children
// to us; we go on until we have none. A child is never reaped before it is killed, so its
// pid cannot name a stranger.
void KillDescendants() {
  for (;;) {
    std::vector<pid_t> children = Children();
    for (pid_t pid : children) kill(pid, SIGKILL);
    int status;
    pid_t reaped = waitpid(-1, &status, children.empty() ? WNOHANG : 0);
    if (reaped < 0 && errno == ECHILD) return;
    if (reaped < 0 && errno != EINTR) return;
  }
}

// Forks the program and waits for it (and reaps every orphan reparented to us); forwards
// the host's signals to its process group. Returns our exit code: the program's, or 137
// when the host ended it.
int RunProgram(const char* program, char** argv, bool in_namespace, char mode) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);  // its own group: the host's signals reach what it starts too
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(program, argv, environ);
    Report('E', mode, errno);
    _exit(127);
  }
  if (child < 0 || sfd < 0) {
    Report('F', mode, errno);
    return 125;
  }
  setpgid(child, child);  // also here: no signal may find the group missing
  close(kStatusFd);
  DropStdio();

  bool ended = false, stopped = false;
  int child_status = 0;
  while (!ended && !stopped) {
    pollfd fds[2] = {{sfd, POLLIN, 0}, {kControlFd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      stopped = true;
      break;
    }
    if (fds[1].revents) {
      unsigned char signals[64];
      ssize_t n = read(kControlFd, signals, sizeof signals);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) stopped = true;
      // The program is not reaped yet (that happens below): its group id is still its own.
      for (ssize_t i = 0; i < n; ++i)
        if (signals[i] > 0 && signals[i] < 65) kill(-child, signals[i]);
    }
    if (fds[0].revents) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == sizeof info) {
      }
    }
    int status;
    pid_t reaped;
    while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped == child) {
        ended = true;
        child_status = status;
      }
    }
  }
  // PID 1 of a namespace: when we exit the kernel kills whatever is left in it.
  if (!in_namespace) KillDescendants();
  return stopped ? 128 + SIGKILL : CodeOf(child_status);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: theater-init auto|group PROGRAM ARGV0 [ARG...] (started by theater)\n");
    return 125;
  }
  bool namespaces = strcmp(argv[1], "auto") == 0;
  const char* program = argv[2];
  char** program_argv = argv + 3;
  // Nothing of ours reaches the program.
  fcntl(kStatusFd, F_SETFD, FD_CLOEXEC);
  fcntl(kControlFd, F_SETFD, FD_CLOEXEC);
  fcntl(kControlFd, F_SETFL, O_NONBLOCK);
  // Signals only through the control socket (and SIGCHLD through a signalfd): blocked here,
  // unblocked in the program.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);

  char mode = 'G';
  int why = 0;
  if (namespaces) {
    if (unshare(CLONE_NEWPID) == 0) {
      mode = 'P';
    } else {
      why = errno;
      if (EnterUserNamespace()) mode = 'U';
    }
  }
  Report('M', mode, why);
  if (mode == 'G') {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return RunProgram(program, program_argv, false, mode);
  }
  pid_t inner = fork();  // PID 1 of the new namespace
  if (inner < 0) {
    Report('F', mode, errno);
    return 125;
  }
  if (inner == 0) {
    // The outer init killed (the host's SIGKILL): we go too, and with us the namespace.
    // Were it killed before this line, the host's closing the control socket ends us.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return RunProgram(program, program_argv, true, mode);
  }
  close(kStatusFd);
  close(kControlFd);  // the inner init alone listens to the host
  DropStdio();
  int status;
  while (waitpid(inner, &status, 0) < 0) {
    if (errno != EINTR) return 125;
  }
  return CodeOf(status);
}
