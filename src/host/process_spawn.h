// Starting a program for an actor (theater:simple/process and filesystem execute-command)
// so that everything it starts can be ended with it. The program runs under theater-init
// (src/host/process_init.cc), in a PID namespace of its own when the kernel allows one:
// when the program ends, when the host ends it (timeout, output cap, os-kill, the actor
// finishing) or when the host dies, the namespace goes and the kernel kills every process
// left in it — also those that called setsid or double-forked. Where namespaces are refused
// (not root and no user namespaces), theater-init falls back to being their subreaper and
// kills what is left itself; the host says so once on stderr.
//
// The host's own /proc stays mounted: in the namespace `$$` is the namespace's pid, while
// /proc shows the host's processes and pids.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "host/filesystem_paths.h"

namespace theater::host {

// How the processes of one start are held.
enum class Containment {
  kPidNamespace,      // a PID namespace (root, or CAP_SYS_ADMIN)
  kUserPidNamespace,  // a user namespace (our uid and gid only) and a PID namespace in it
  kSubreaper,         // no namespace: theater-init as child subreaper kills what is left
};

struct ChildSpec {
  std::string program;            // the path exec'd: absolute, or relative to the working directory
  std::vector<std::string> argv;  // argv[0] first
  std::vector<std::string> env;   // "NAME=VALUE", checked by the caller (process_env.h)
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // become the program's 0, 1, 2
  std::optional<std::string> cwd;  // its working directory, by path
  int cwd_fd = -1;                 // or by descriptor (O_PATH is fine)
};

// One started program and everything it starts. Destroying it ends them all and reaps
// its init.
class ChildProcess {
 public:
  // Starts `spec`; returns once the program was exec'd (or could not be: the error says
  // why, e.g. "could not start `x`: No such file or directory").
  static Result<std::unique_ptr<ChildProcess>> Start(const ChildSpec& spec);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The init's pid, in the host's namespace: it exits when the program has ended and all
  // it left behind is gone, with the program's exit status (128 + N after signal N). Only
  // TryReap and Wait reap it, so until they do its pid cannot be another's (a pidfd of it
  // may tell when it exits).
  pid_t pid() const { return pid_; }
  Containment containment() const { return containment_; }
  // Sends `signal` to the program's process group (through the init, so any signal, even
  // SIGSTOP); SIGKILL ends everything as EndAll does.
  Status Signal(int signal);
  // Ends the program and everything it started (at once in a namespace; the subreaper
  // needs a moment). Idempotent.
  void EndAll();
  // Waits for the init to exit (after EndAll, bounded: a stuck subreaper is SIGKILLed
  // after `grace_ms`) and returns its exit code; nullopt if already reaped.
  std::optional<int32_t> Wait(int grace_ms = 2000);
  // Reaps the init if it has exited: its exit code; nullopt while it runs (or if reaped).
  std::optional<int32_t> TryReap();

  // Tests: false makes every later start use the subreaper fallback.
  static void AllowNamespacesForTesting(bool allowed);

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  Containment containment_ = Containment::kSubreaper;
  fs::UniqueFd control_;  // our end of the init's control socket
  bool ended_ = false, reaped_ = false;
};

// Finds `command` (no '/') in the absolute directories of `path_env`: the executable's
// path, or nullopt.
std::optional<std::string> FindOnPath(const std::string& command, const std::string& path_env);

// `path_env` with only its absolute entries: an empty or relative one would make programs
// look commands up in a directory the actor may write.
std::string AbsolutePathEntries(const std::string& path_env);

// The exit code of a waitpid status: the exit status, or 128 + N after signal N.
int32_t ExitCodeOf(int status);

}  // namespace theater::host
