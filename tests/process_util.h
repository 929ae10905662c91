// The theater binary as a child process: its stdout read line by line, its stdin written,
// signals sent to it. And `theater server` on a free loopback port, with its address.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace theater::testing {

// `theater ARGS` as a child process whose stdout we read line by line; stderr goes to a
// file. With `environment` ("NAME=VALUE"), those are added to (or replace) ours; with
// `stdin_pipe`, its stdin is a pipe written with WriteStdin (else it is ours).
class TheaterProcess {
 public:
  TheaterProcess(const std::vector<std::string>& args, const std::filesystem::path& stderr_path,
                 const std::vector<std::string>& environment = {}, bool stdin_pipe = false) {
    int out[2], in[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    if (stdin_pipe && ::pipe2(in, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      return;
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(THEATER_BINARY));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      std::string entry = *e;
      bool replaced = false;
      for (const std::string& set : environment)
        replaced |= entry.substr(0, entry.find('=') + 1) == set.substr(0, set.find('=') + 1);
      if (!replaced) env_strings.push_back(entry);
    }
    env_strings.insert(env_strings.end(), environment.begin(), environment.end());
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    if (stdin_pipe) posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (::posix_spawn(&pid_, THEATER_BINARY, &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
    if (stdin_pipe) {
      ::close(in[0]);
      in_ = in[1];
    }
  }
  ~TheaterProcess() {
    Kill();
    CloseStdin();
    if (out_ >= 0) ::close(out_);
  }
  TheaterProcess(const TheaterProcess&) = delete;
  TheaterProcess& operator=(const TheaterProcess&) = delete;

  bool started() const { return pid_ > 0; }

  // The next line of output; nothing at the end of the output or after `timeout`.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[65536];
      ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Reads lines until one contains `text`; that line, or nothing after `timeout`.
  std::optional<std::string> ReadLineWith(const std::string& text, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto line = ReadLine(std::max(left, std::chrono::milliseconds(0)));
      if (!line || line->find(text) != std::string::npos) return line;
    }
  }

  bool WriteStdin(const std::string& text) {
    return in_ >= 0 && ::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  void CloseStdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }

  // Waits up to `timeout` for the process to end: its exit status (128 + N when killed by
  // signal N), or nothing if it is still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_status_;
      }
      if (r < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Sends `signal` and waits up to `timeout` for the process to end (then SIGKILL): its
  // exit status as Wait gives it, or nothing if it had to be killed.
  std::optional<int> Signal(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, signal);
    if (auto status = Wait(timeout)) return status;
    Kill();
    return std::nullopt;
  }

  // SIGKILL, and wait until it is gone (its output stays readable).
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = 128 + SIGKILL;
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  std::optional<int> exit_status_;
  std::string buffer_;
};

// `theater --data-dir DIR server --listen 127.0.0.1:0 [ARGS]`, up and listening: address()
// is the HOST:PORT it printed ("theater server listening on HOST:PORT (data in DIR)"),
// empty if it did not start. ARGS may give --listen, and --data-dir (after the subcommand).
// Its stderr (the log) goes to DIR/server-N.log.
class TheaterServer {
 public:
  explicit TheaterServer(const std::filesystem::path& data_dir, const std::vector<std::string>& args = {},
                         const std::vector<std::string>& environment = {})
      : log_(LogPath(data_dir)), process_(Args(data_dir, args), log_, environment) {
    auto line = process_.ReadLine(std::chrono::seconds(60));
    static const std::regex listening("^theater server listening on (\\S+) \\(data in (.*)\\)$");
    std::smatch m;
    if (line && std::regex_match(*line, m, listening)) {
      address_ = m[1];
      data_dir_printed_ = m[2];
    }
  }

  const std::string& address() const { return address_; }
  const std::string& data_dir_printed() const { return data_dir_printed_; }
  // What it logged so far, for failure messages.
  std::string LogText() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  TheaterProcess& process() { return process_; }

 private:
  static std::filesystem::path LogPath(const std::filesystem::path& data_dir) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    return data_dir / ("server-" + std::to_string(++count_) + ".log");
  }
  static std::vector<std::string> Args(const std::filesystem::path& data_dir, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"server"};
    if (std::find(args.begin(), args.end(), "--listen") == args.end())
      all.insert(all.end(), {"--listen", "127.0.0.1:0"});
    all.insert(all.end(), args.begin(), args.end());
    if (std::find(args.begin(), args.end(), "--data-dir") == args.end())
      all.insert(all.begin(), {"--data-dir", data_dir.string()});
    return all;
  }

  static inline int count_ = 0;
  std::filesystem::path log_;
  TheaterProcess process_;
  std::string address_, data_dir_printed_;
};

}  // namespace theater::testing
