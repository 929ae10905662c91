// Python and JavaScript actors against C actors (issue 15, item 7), each line with the C
// actor as the baseline measured in the same run. The Python actor is
// tests/guests/py_probe.py (built by componentize-py), the JavaScript one
// tests/guests/js_probe.js (componentize-js), both with WASI granted; the C actor is
// bench/guests/blaster.c. Each answers a request ("ping" / anything) at once.
//   component size, cold compile (LoadComponentFile with an empty cache), warm spawn
//   (Spawn until init has run, compiled component in memory), memory per idle actor (RSS
//   added by 20 more actors), request round trip (ActorSystem::Request, median).
//
//   theater_languages_bench [--quick]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "runtime/actor_system.h"

using namespace theater;
using Clock = std::chrono::steady_clock;

namespace {

using bench::Micros;
using bench::Median;

bool quick = false;

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// One line: C's number, then each other language's with its ratio to C's.
void Report(const char* what, const char* unit, double c, const std::vector<std::pair<const char*, double>>& others) {
  std::printf("%-40s c %9.1f %-3s", what, c, unit);
  for (const auto& [name, value] : others)
    std::printf("  %s %9.1f (x%.1f)", name, value, c > 0 ? value / c : 0.0);
  std::printf("\n");
  std::fflush(stdout);
}

struct Language {
  const char* name;
  std::string component;
  std::string handlers;  // extra [[handler]] tables
};

Manifest ManifestFor(const Language& l) {
  return bench::ManifestOrExit("name = \"" + std::string(l.name) + "\"\nversion = \"1\"\ncomponent = \"" + l.component +
                                   "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n" +
                                   l.handlers,
                               "bench.toml");
}

std::filesystem::path TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "theater-bench-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

struct Numbers {
  double size_kb = 0, compile_ms = 0, spawn_ms = 0, memory_kb = 0, request_us = 0;
};

Numbers Measure(const Language& l) {
  Numbers n;
  n.size_kb = static_cast<double>(std::filesystem::file_size(l.component)) / 1024;
  auto engine = bench::MakeEngine();  // no disk cache: the first load compiles
  auto t0 = Clock::now();
  if (!engine->LoadComponentFile(l.component).ok()) std::exit(1);
  n.compile_ms = Micros(Clock::now() - t0) / 1e3;

  auto dir = TempDir();
  SystemOptions options;
  options.chain_dir = dir / "chains";
  options.request_timeout = std::chrono::seconds(120);
  auto system = ActorSystem::Create(engine, options);
  if (!system.ok()) std::exit(1);
  Manifest manifest = ManifestFor(l);
  std::vector<std::string> ids;
  std::vector<double> spawns;
  size_t before = 0;
  int actors = quick ? 5 : 20;
  for (int i = 0; i <= actors; ++i) {
    if (i == 1) before = ResidentBytes();
    auto s0 = Clock::now();
    auto id = (*system)->Spawn(manifest);
    if (!id.ok()) {
      std::fprintf(stderr, "spawn %s: %s\n", l.name, id.error().c_str());
      std::exit(1);
    }
    (*system)->WaitIdle(std::chrono::seconds(120));  // init has run
    spawns.push_back(Micros(Clock::now() - s0) / 1e3);
    ids.push_back(*id);
  }
  n.spawn_ms = Median(spawns);
  n.memory_kb = static_cast<double>(ResidentBytes() - before) / actors / 1024;
  std::vector<double> requests;
  for (int i = 0; i < (quick ? 50 : 500); ++i) {
    auto r0 = Clock::now();
    auto r = (*system)->Request(ids[0], ToBytes("ping")).get();
    requests.push_back(Micros(Clock::now() - r0));
    if (!r.ok) {
      std::fprintf(stderr, "request %s: %s\n", l.name, r.error.c_str());
      std::exit(1);
    }
  }
  n.request_us = Median(requests);
  (*system)->Shutdown();
  std::filesystem::remove_all(dir);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else {
      std::fprintf(stderr, "unknown argument `%s`; usage: theater_languages_bench [--quick]\n", argv[i]);
      return 2;
    }
  }
  std::vector<Language> languages;
  // The probes' world is service-actor: store, timing and random are granted too.
  const std::string wasi =
      "[[handler]]\ntype = \"wasi\"\n[[handler]]\ntype = \"store\"\n[[handler]]\ntype = \"timing\"\n"
      "[[handler]]\ntype = \"random\"\n";
  if (!std::string(THEATER_PY_PROBE).empty()) languages.push_back({"python", THEATER_PY_PROBE, wasi});
  if (!std::string(THEATER_JS_PROBE).empty()) languages.push_back({"js", THEATER_JS_PROBE, wasi});
  if (languages.empty()) {
    std::fprintf(stderr, "neither componentize-py nor componentize-js was installed (scripts/setup.sh): nothing to measure\n");
    return 2;
  }
  std::printf("theater_languages_bench: Python (componentize-py) and JavaScript (componentize-js) against C\n");
  Numbers c = Measure({"c", THEATER_BLASTER, ""});
  std::vector<std::pair<const char*, Numbers>> measured;
  for (const Language& l : languages) measured.push_back({l.name, Measure(l)});
  auto column = [&](double Numbers::*field) {
    std::vector<std::pair<const char*, double>> out;
    for (const auto& [name, n] : measured) out.push_back({name, n.*field});
    return out;
  };
  Report("component size", "KiB", c.size_kb, column(&Numbers::size_kb));
  Report("cold compile", "ms", c.compile_ms, column(&Numbers::compile_ms));
  Report("warm spawn until init has run (median)", "ms", c.spawn_ms, column(&Numbers::spawn_ms));
  Report("memory per idle actor (RSS)", "KiB", c.memory_kb, column(&Numbers::memory_kb));
  Report("request round trip (median)", "us", c.request_us, column(&Numbers::request_us));
  return 0;
}
