// Helpers shared by the tests: temporary directories, fixture paths, running the CLI.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chain/event.h"
#include "chain/event_data.h"
#include "common/bytes.h"
#include "common/files.h"

namespace theater::testing {

// An event's data as JSON (a byte string by reference is a binary with subtype
// kBytesRefTag: BytesRefIn reads it).
inline nlohmann::json Data(const ChainEvent& e) { return DecodeEventData(e.data); }

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "theater-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path Fixture(const std::string& name) { return std::filesystem::path(THEATER_FIXTURES) / name; }
inline std::filesystem::path Guest(const std::string& name) { return std::filesystem::path(THEATER_GUESTS) / name; }
inline std::filesystem::path Example(const std::string& name) { return std::filesystem::path(THEATER_EXAMPLES) / name; }

// A copy of the test actor `name` in `dir` (made on first use): a supervisor's children
// may name only files in its own manifest's folder (host/child_manifest.h).
inline std::filesystem::path LocalGuest(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::path local = dir / name;
  std::error_code ec;
  if (!std::filesystem::exists(local)) std::filesystem::copy_file(Guest(name), local, ec);
  return local;
}

inline std::string ToStr(const Bytes& b) { return std::string(b.begin(), b.end()); }

inline void WriteText(const std::filesystem::path& path, const std::string& text) {
  Status s = WriteFileAtomic(path, ToBytes(text));
  if (!s.ok()) std::abort();
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `command` with sh -c and captures its standard output.
inline CommandResult RunShell(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `args` with the theater binary (sh -c) and captures its output.
inline CommandResult RunTheater(const std::string& args, const std::filesystem::path& data_dir) {
  return RunShell("THEATER_HOME='" + data_dir.string() + "' '" + std::string(THEATER_BINARY) + "' " + args + " 2>&1");
}

// A path quoted for sh -c.
inline std::string Q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// The summary line of `theater run --json` (an empty object, and a failure, when none).
inline nlohmann::json Summary(const std::string& out) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("event", "") == "summary") return j;
  }
  ADD_FAILURE() << "no summary in: " << out;
  return nlohmann::json::object();
}

// A file's text ("" when it cannot be read).
inline std::string FileText(const std::filesystem::path& path) {
  auto data = ReadFile(path);
  return data.ok() ? ToStr(*data) : "";
}

// Waits up to `timeout` for `done()`; its last answer.
template <typename F>
bool WaitUntil(F done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Caps the size of files this process may write (RLIMIT_FSIZE) while alive: a full disk,
// for the writer. Writes past it fail with EFBIG instead of raising SIGXFSZ.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

}  // namespace theater::testing
