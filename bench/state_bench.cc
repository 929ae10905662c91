// Benchmarks of the byte path (issue 13): what an actor's state and the bytes it reads cost,
// each against a baseline measured in the same run. One line per measurement: theater,
// baseline, ratio theater/baseline, and the target where it has one.
//
//   theater_state_bench [--quick] [--only turn|chain|read] [--state BYTES]
//   (--state: the turn and chain measurements at that one state size, e.g. for perf)
//
// turn:  an actor (bench/guests/stater.c) whose state is N bytes (0, 10 KiB, 100 KiB, 1 MiB)
//        and changes every turn (handle-send overwrites a few bytes and returns the whole
//        state): median time per one-way message handled, chains on. Baseline: memcpy of N
//        bytes plus SHA-256 of them.
// chain: the same runs' chain file bytes per event (the checkpoint file, and any other file
//        next to the chain, separately). Baseline: N, one copy of the state per event.
//        (`--only chain` runs the turn measurement too: the chains are its chains.)
// read:  a 64 MiB file read into an actor through filesystem read-file, in a child process:
//        time and peak RSS added (VmHWM). Baseline: read() of the same file into a buffer.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "chain/chain_file.h"
#include "common/files.h"
#include "common/sha256.h"
#include "host/host_interfaces.h"
#include "runtime/actor_system.h"

using namespace theater;
using Clock = std::chrono::steady_clock;
using bench::MakeEngine;
namespace stdfs = std::filesystem;

namespace {

using bench::Median;

bool quick = false;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string SizeName(size_t n) {
  if (n == 0) return "0";
  if (n % (1 << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " B";
}

// One result line. `bar` < 0: no target.
void Report(const std::string& what, const char* unit, double theater, double baseline, double bar,
            const std::string& note = "") {
  char ratio[32] = "     -";
  if (baseline > 0) std::snprintf(ratio, sizeof ratio, "%8.2f", theater / baseline);
  char target[64] = "";
  if (bar >= 0) std::snprintf(target, sizeof target, "  target <= %g %s %s", bar, unit, theater <= bar ? "MET" : "NOT MET");
  std::printf("%-58s %12.2f %-3s baseline %12.2f  ratio %s%s%s%s\n", what.c_str(), theater, unit, baseline, ratio,
              target, note.empty() ? "" : "  ", note.c_str());
  std::fflush(stdout);
}

// A field of /proc/self/status in bytes (VmRSS, VmHWM).
size_t StatusBytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  size_t len = std::strlen(field);
  while (std::getline(status, line))
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':')
      return std::strtoull(line.c_str() + len + 1, nullptr, 10) * 1024;
  return 0;
}

// Resets VmHWM to the current RSS (Linux 4.0+); false if the kernel refused.
bool ResetPeak() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return false;
  bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

size_t MemAvailable() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  size_t kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemAvailable:") return kb * 1024;
    meminfo.ignore(1 << 10, '\n');
  }
  return 0;
}

// The stater actor, with its filesystem directory `files` and the given [limits] and
// filesystem settings.
Manifest StaterManifest(const stdfs::path& files, const std::string& fs_settings, const std::string& limits) {
  std::string text = std::string("name = \"stater\"\nversion = \"1\"\ncomponent = \"") + THEATER_STATER +
                     "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                     "[[handler]]\ntype = \"filesystem\"\npath = \"" + files.string() + "\"\n" + fs_settings +
                     "\n[limits]\n" + limits + "\n";
  return bench::ManifestOrExit(text, "state-bench.toml");
}

std::unique_ptr<ActorSystem> MakeSystem(std::shared_ptr<Engine> engine, const stdfs::path& dir, size_t mailbox) {
  SystemOptions options;
  options.chain_dir = dir / "chains";
  options.data_dir = dir / "data";
  options.mailbox_capacity = mailbox;
  options.request_timeout = std::chrono::minutes(10);
  if (const char* w = std::getenv("THEATER_BENCH_WORKERS")) options.workers = std::strtoul(w, nullptr, 10);
  auto system = ActorSystem::Create(std::move(engine), options);
  if (!system.ok()) {
    std::fprintf(stderr, "system: %s\n", system.error().c_str());
    std::exit(1);
  }
  return std::move(*system);
}

std::string Ask(ActorSystem& system, const std::string& id, const std::string& text) {
  RequestResult r = system.Request(id, ToBytes(text)).get();
  if (!r.ok) return "err: " + r.error;
  return ToString(r.response);
}

stdfs::path TempDir() {
  std::string pattern = (stdfs::temp_directory_path() / "theater-state-bench-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

uint64_t SizeOf(const stdfs::path& p) {
  std::error_code ec;
  if (stdfs::is_directory(p, ec)) {
    uint64_t total = 0;
    for (const auto& e : stdfs::recursive_directory_iterator(p, ec))
      if (e.is_regular_file(ec)) total += e.file_size(ec);
    return total;
  }
  uint64_t n = stdfs::file_size(p, ec);
  return ec ? 0 : n;
}

// ---- turn time and chain bytes vs state size ----

struct TurnResult {
  size_t state = 0;
  double theater_us = 0, baseline_us = 0;
  size_t messages = 0, rounds = 0;
  uint64_t events = 0, chain_bytes = 0;
  double events_per_turn = 0;
  std::vector<std::pair<std::string, uint64_t>> siblings;  // other files next to the chain
  std::string error;
};

// memcpy of n bytes and SHA-256 of the copy: microseconds per turn (median of 5 repetitions).
double BaselineTurn(size_t n) {
  std::vector<uint8_t> src(std::max<size_t>(n, 1), 'x'), dst(src.size());
  volatile uint8_t sink = 0;
  // Repetitions of about 50 ms (20 ms quick).
  double target = quick ? 0.02 : 0.05;
  size_t k = 1;
  for (;;) {
    auto t0 = Clock::now();
    for (size_t i = 0; i < k; ++i) {
      std::memcpy(dst.data(), src.data(), n);
      Hash h = Sha256(std::span<const uint8_t>(dst.data(), n));
      sink = sink + h[0];
    }
    if (Seconds(Clock::now() - t0) >= target / 4 || k >= (1u << 24)) break;
    k *= 2;
  }
  k *= 4;
  std::vector<double> per;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    for (size_t i = 0; i < k; ++i) {
      src[i % src.size()] = static_cast<uint8_t>(i);
      std::memcpy(dst.data(), src.data(), n);
      Hash h = Sha256(std::span<const uint8_t>(dst.data(), n));
      sink = sink + h[0];
    }
    per.push_back(Seconds(Clock::now() - t0) * 1e6 / k);
  }
  return Median(per);
}

TurnResult BenchTurn(std::shared_ptr<Engine> engine, size_t state_bytes) {
  TurnResult out;
  out.state = state_bytes;
  out.baseline_us = BaselineTurn(state_bytes);

  auto dir = TempDir();
  stdfs::create_directories(dir / "files");
  // Messages per round: about 0.3 s (1 s full), at most 32 MiB of state returned per round.
  const size_t max_per_round = std::max<size_t>(8, (size_t{32} << 20) / std::max<size_t>(state_bytes, 1));
  const size_t cap = std::min<size_t>(max_per_round, 50000);
  auto system = MakeSystem(engine, dir, cap + 64);
  Manifest manifest = StaterManifest(dir / "files", "",
                                     "max_memory_bytes = 268435456\nmax_chain_bytes = 17179869184\n");
  auto id = system->Spawn(manifest, Bytes(state_bytes, 'x'));
  if (!id.ok()) {
    out.error = "spawn: " + id.error();
    return out;
  }
  system->WaitIdle(std::chrono::minutes(1));
  Bytes message(16, 'm');
  auto send_all = [&](size_t n) -> bool {
    for (size_t i = 0; i < n; ++i) {
      message[0] = static_cast<uint8_t>(i);
      Status s = system->Send(*id, message);
      if (!s.ok()) {
        out.error = "send: " + s.message();
        return false;
      }
    }
    return system->WaitIdle(std::chrono::minutes(5));
  };
  // Warm-up, and a first estimate of the time per message.
  auto t0 = Clock::now();
  if (!send_all(4)) return out;
  double estimate = Seconds(Clock::now() - t0) / 4;
  double round_seconds = quick ? 0.3 : 1.0;
  size_t n = std::clamp<size_t>(static_cast<size_t>(round_seconds / std::max(estimate, 1e-7)), 8, cap);
  out.rounds = quick ? 3 : 7;
  std::vector<double> per;
  for (size_t r = 0; r < out.rounds; ++r) {
    t0 = Clock::now();
    if (!send_all(n)) {
      if (out.error.empty()) out.error = "the actor did not become idle";
      return out;
    }
    per.push_back(Seconds(Clock::now() - t0) * 1e6 / n);
  }
  out.messages = n;
  out.theater_us = Median(per);
  auto info = system->Info(*id);
  if (!info.ok() || info->failure) {
    out.error = info.ok() ? "the actor failed: " + info->failure->Describe() : info.error();
    return out;
  }
  if (!info->state || info->state->size() != state_bytes) out.error = "the state's size changed";
  stdfs::path chain = info->chain_path;
  system.reset();  // stops the actor and writes out its chain
  out.chain_bytes = SizeOf(chain);
  VerifyReport report = VerifyChainFile(chain);
  out.events = report.events;
  if (!report.ok) out.error = "chain verify: " + report.reason;
  size_t messages_sent = 4 + out.rounds * n;
  out.events_per_turn = static_cast<double>(out.events) / messages_sent;
  std::error_code ec;
  std::string stem = chain.stem().string();
  for (const auto& e : stdfs::directory_iterator(chain.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (e.path() != chain && name.compare(0, stem.size(), stem) == 0) out.siblings.push_back({name.substr(stem.size()), SizeOf(e.path())});
  }
  stdfs::remove_all(dir, ec);
  return out;
}

// ---- a large file read through the filesystem interface ----

struct ReadResult {
  double ms = -1;
  double rss_added = -1;  // bytes: peak (VmHWM) minus the RSS before the read
  int exit_status = 0;
  char message[512] = "";
};

// Runs `body` in a child process (forked while this process has no threads) and returns what
// it wrote.
template <typename F>
ReadResult InChild(F body) {
  std::fflush(stdout);
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    ReadResult r = body();
    std::_Exit(write(fds[1], &r, sizeof r) == sizeof r ? 0 : 1);
  }
  close(fds[1]);
  ReadResult r;
  ssize_t got = read(fds[0], &r, sizeof r);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof r) {
    r = ReadResult{};
    r.exit_status = status;
    std::snprintf(r.message, sizeof r.message, "the child process %s %d",
                  WIFSIGNALED(status) ? "was killed by signal" : "exited with", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  }
  return r;
}

ReadResult TheaterRead(const stdfs::path& dir, const std::string& file, size_t max_file_bytes) {
  return InChild([&] {
    ReadResult r;
    auto engine = MakeEngine();
    auto system = MakeSystem(engine, dir / ("run-" + std::to_string(getpid())), 64);
    std::string fs = max_file_bytes ? "max_file_bytes = " + std::to_string(max_file_bytes) : "";
    Manifest manifest = StaterManifest(dir / "files", fs,
                                       "max_memory_bytes = 1073741824\ncall_timeout_ms = 600000\nfuel_per_call = 0\n"
                                       "max_chain_bytes = 17179869184\n");
    auto id = system->Spawn(manifest);
    if (!id.ok()) {
      std::snprintf(r.message, sizeof r.message, "spawn: %s", id.error().c_str());
      return r;
    }
    std::string warm = Ask(*system, *id, "read small.bin");  // the first call's own costs
    if (warm != "ok:1024") {
      std::snprintf(r.message, sizeof r.message, "read small.bin: %s", warm.c_str());
      return r;
    }
    system->WaitIdle(std::chrono::seconds(10));
    size_t before = StatusBytes("VmRSS");
    ResetPeak();
    auto t0 = Clock::now();
    std::string answer = Ask(*system, *id, "read " + file);
    r.ms = Seconds(Clock::now() - t0) * 1e3;
    r.rss_added = static_cast<double>(StatusBytes("VmHWM")) - static_cast<double>(before);
    std::snprintf(r.message, sizeof r.message, "%s", answer.c_str());
    return r;
  });
}

ReadResult BaselineRead(const stdfs::path& path) {
  return InChild([&] {
    ReadResult r;
    size_t before = StatusBytes("VmRSS");
    ResetPeak();
    auto t0 = Clock::now();
    int fd = ::open(path.c_str(), O_RDONLY);
    size_t size = SizeOf(path), got = 0;
    std::vector<uint8_t> buf(size);
    while (fd >= 0 && got < size) {
      ssize_t n = ::read(fd, buf.data() + got, size - got);
      if (n <= 0) break;
      got += n;
    }
    if (fd >= 0) ::close(fd);
    r.ms = Seconds(Clock::now() - t0) * 1e3;
    r.rss_added = static_cast<double>(StatusBytes("VmHWM")) - static_cast<double>(before);
    std::snprintf(r.message, sizeof r.message, "ok:%zu", got);
    return r;
  });
}

struct ReadLine {
  size_t size = 0;
  bool raised = false;  // max_file_bytes raised to the size
  ReadResult theater, baseline;
  std::string skipped;
};

std::vector<ReadLine> BenchRead() {
  std::vector<ReadLine> lines;
  auto dir = TempDir();
  stdfs::create_directories(dir / "files");
  WriteFileAtomic(dir / "files" / "small.bin", Bytes(1024, 's'));
  std::vector<size_t> sizes = quick ? std::vector<size_t>{size_t{1} << 20, size_t{64} << 20}
                                    : std::vector<size_t>{size_t{1} << 20, size_t{8} << 20, size_t{64} << 20};
  for (size_t size : sizes) {
    ReadLine line;
    line.size = size;
    line.raised = size > (size_t{1} << 20);
    std::string name = "big-" + std::to_string(size) + ".bin";
    {
      Bytes data(size);
      for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 2654435761u >> 24);
      WriteFileAtomic(dir / "files" / name, data);
    }
    // The 1 MiB read needed about 90 MB of host memory per MiB before (docs/host-interfaces.md):
    // do not take the machine's memory from under other work.
    size_t need = size * 100 + (size_t{1} << 30);
    if (size > (size_t{8} << 20) && MemAvailable() < need) {
      line.skipped = "not run: it would need about " + std::to_string(need >> 20) + " MiB, " +
                     std::to_string(MemAvailable() >> 20) + " MiB available";
    } else {
      line.baseline = BaselineRead(dir / "files" / name);  // also brings the file into the page cache
      line.baseline = BaselineRead(dir / "files" / name);
      line.theater = TheaterRead(dir, name, line.raised ? size : 0);
    }
    std::error_code ec;
    stdfs::remove(dir / "files" / name, ec);
    lines.push_back(line);
    if (!line.skipped.empty() || std::string(line.theater.message) != "ok:" + std::to_string(size)) break;
  }
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  return lines;
}

void PrintRead(const std::vector<ReadLine>& lines) {
  for (const auto& l : lines) {
    std::string what = "read-file " + SizeName(l.size) + (l.raised ? " (max_file_bytes raised)" : " (default cap)");
    if (!l.skipped.empty()) {
      std::printf("%-58s %s\n", what.c_str(), l.skipped.c_str());
      continue;
    }
    bool ok = std::string(l.theater.message) == "ok:" + std::to_string(l.size);
    std::string note = ok ? "" : std::string("FAILED: ") + l.theater.message;
    bool at64 = l.size == (size_t{64} << 20);
    Report(what + ", time", "ms", l.theater.ms, l.baseline.ms, at64 ? 300 : -1, note);
    Report(what + ", peak RSS added", "MB", l.theater.rss_added / 1e6, l.baseline.rss_added / 1e6, at64 ? 200 : -1,
           note);
  }
  if (!lines.empty() && lines.back().size < (size_t{64} << 20))
    std::printf("read-file: 64 MiB was not measured; the largest size measured is %s\n",
                SizeName(lines.back().size).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;  // --only turn|chain|read
  std::vector<size_t> states = {0, size_t{10} << 10, size_t{100} << 10, size_t{1} << 20};
  for (int i = 1; i < argc; ++i) {
    quick |= std::strcmp(argv[i], "--quick") == 0;
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    if (std::strcmp(argv[i], "--state") == 0 && i + 1 < argc) states = {std::strtoull(argv[++i], nullptr, 10)};
  }
  auto run = [&](const char* name) { return only.empty() || only == name; };
  std::printf("theater_state_bench%s: %u cores\n", quick ? " --quick" : "", std::thread::hardware_concurrency());
  std::fflush(stdout);
  // The read measurements first: child processes forked before this process starts any thread.
  std::vector<ReadLine> reads;
  if (run("read")) reads = BenchRead();

  if (run("turn") || run("chain")) {
    auto engine = MakeEngine();
    std::vector<TurnResult> turns;
    for (size_t n : states) turns.push_back(BenchTurn(engine, n));
    if (run("turn")) {
      for (const auto& t : turns) {
        double bar = t.state == (size_t{100} << 10) ? 250 : t.state == (size_t{1} << 20) ? 2000 : -1;
        char note[256];
        std::snprintf(note, sizeof note, "(%zu rounds of %zu messages)%s%s", t.rounds, t.messages,
                      t.error.empty() ? "" : " ERROR: ", t.error.c_str());
        Report("turn, state " + SizeName(t.state) + " (median per message)", "us", t.theater_us, t.baseline_us, bar,
               note);
      }
    }
    if (run("chain")) {
      for (const auto& t : turns) {
        double per = t.events ? static_cast<double>(t.chain_bytes) / t.events : 0;
        char note[256];
        std::snprintf(note, sizeof note, "(%llu events, %.2f per message, %.1f MB)%s%s",
                      static_cast<unsigned long long>(t.events), t.events_per_turn, t.chain_bytes / 1e6,
                      t.error.empty() ? "" : " ERROR: ", t.error.c_str());
        Report("chain bytes per event, state " + SizeName(t.state), "B", per, static_cast<double>(t.state),
               t.state == (size_t{1} << 20) ? 1024 : -1, note);
        for (const auto& [suffix, bytes] : t.siblings) {
          double sib = t.events ? static_cast<double>(bytes) / t.events : 0;
          Report("  file " + suffix + " bytes per event, state " + SizeName(t.state), "B", sib,
                 static_cast<double>(t.state), -1, "(next to the chain, counted separately)");
        }
      }
    }
  }
  if (run("read")) PrintRead(reads);
  std::printf(
      "not repeated here: sends/s and request round trip: theater_bench --only send|request; "
      "chain append per event: theater_chain_bench --only append\n");
  return 0;
}
