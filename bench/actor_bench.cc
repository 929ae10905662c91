// Benchmarks of the actor system, each against a baseline measured in the same run: the
// same component driven through the engine alone (instantiate and call, no scheduler, no
// mailbox, no chain). Prints one line per measurement with the ratio theater/baseline.
//
//   theater_bench [--quick] [--only memory|spawn|send|request|restart]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "common/files.h"
#include "engine/state_call.h"
#include "host/host_interfaces.h"
#include "runtime/actor_system.h"
#include "runtime/contract.h"

using namespace theater;
using Clock = std::chrono::steady_clock;
using bench::MakeEngine;

namespace {

using bench::Micros;

bool quick = false;

struct Summary {
  double median = 0, p99 = 0, mean = 0;
};

Summary Summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  double total = 0;
  for (double x : v) total += x;
  s.mean = total / v.size();
  return s;
}

// One result line. `lower_is_better` decides how the bar is read.
void Report(const char* what, const char* unit, double theater, double baseline, double bar, bool lower_is_better) {
  bool met = lower_is_better ? theater <= bar : theater >= bar;
  std::printf("%-44s %12.2f %-8s baseline %12.2f  ratio %6.2f  bar %s %g %s\n", what, theater, unit, baseline,
              baseline > 0 ? theater / baseline : 0.0, lower_is_better ? "<=" : ">=", bar, met ? "MET" : "NOT MET");
  std::fflush(stdout);
}

size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

Manifest BlasterManifest() {
  std::string text = std::string("name = \"blaster\"\nversion = \"1\"\ncomponent = \"") + THEATER_BLASTER +
                     "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
  return bench::ManifestOrExit(text, "bench.toml");
}

std::unique_ptr<ActorSystem> MakeSystem(std::shared_ptr<Engine> engine, const std::filesystem::path& dir,
                                        size_t mailbox = 1024) {
  SystemOptions options;
  options.chain_dir = dir / "chains";
  options.mailbox_capacity = mailbox;
  options.request_timeout = std::chrono::seconds(60);
  if (const char* w = std::getenv("THEATER_BENCH_WORKERS")) options.workers = std::strtoul(w, nullptr, 10);
  auto system = ActorSystem::Create(std::move(engine), options);
  if (!system.ok()) std::exit(1);
  return std::move(*system);
}

std::unique_ptr<Instance> BareInstance(std::shared_ptr<Engine> engine, std::shared_ptr<const Component> component) {
  auto created = Instance::Create(std::move(engine), std::move(component), {}, nullptr);
  if (std::holds_alternative<Failure>(created)) {
    std::fprintf(stderr, "instantiate: %s\n", std::get<Failure>(created).Describe().c_str());
    std::exit(1);
  }
  return std::move(std::get<std::unique_ptr<Instance>>(created));
}

std::optional<Bytes> BareInit(Instance& instance) {
  auto out = CallWithState(instance, contract::kActor, "init", contract::kInitWithParams, std::nullopt,
                           ValueList{Value::String("bench")});
  if (!out.ok()) std::exit(1);
  return out.value().state;
}

std::string Ask(ActorSystem& system, const std::string& id, const std::string& text) {
  RequestResult r = system.Request(id, ToBytes(text)).get();
  if (!r.ok) {
    std::fprintf(stderr, "request %s: %s\n", text.c_str(), r.error.c_str());
    std::exit(1);
  }
  return ToString(r.response);
}

std::filesystem::path TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "theater-bench-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

void BenchSpawn() {
  auto engine = MakeEngine();
  auto dir = TempDir();
  auto component = engine->LoadComponentFile(THEATER_BLASTER).value();
  int n = quick ? 200 : 2000;
  std::vector<double> bare, spawn;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    auto instance = BareInstance(engine, component);
    BareInit(*instance);
    bare.push_back(Micros(Clock::now() - t0));
  }
  auto system = MakeSystem(engine, dir);
  Manifest manifest = BlasterManifest();
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    auto id = system->Spawn(manifest);
    spawn.push_back(Micros(Clock::now() - t0));
    if (!id.ok()) std::exit(1);
  }
  system->WaitIdle(std::chrono::seconds(60));
  Summary s = Summarize(spawn), b = Summarize(bare);
  Report("spawn, warm (median)", "us", s.median, b.median, 100, true);
  Report("spawn, warm (p99)", "us", s.p99, b.p99, 1000, true);
  system.reset();
  std::filesystem::remove_all(dir);
}

void BenchSend() {
  auto engine = MakeEngine();
  auto dir = TempDir();
  long n = quick ? 20000 : 200000;
  // Baseline: the same handle-send called in a loop on one thread, the state passed along.
  auto component = engine->LoadComponentFile(THEATER_BLASTER).value();
  auto instance = BareInstance(engine, component);
  std::optional<Bytes> state = BareInit(*instance);
  Bytes message(16, 'm');
  auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) {
    auto out = CallWithState(*instance, contract::kMessageClient, "handle-send", contract::kHandleSend, state,
                             ValueList{Value::BytesValue(message)});
    if (!out.ok()) std::exit(1);
    state = std::move(out.value().state);
  }
  double bare_rate = n / std::chrono::duration<double>(Clock::now() - t0).count();

  auto system = MakeSystem(engine, dir, static_cast<size_t>(n) + 16);
  Manifest manifest = BlasterManifest();
  std::string sender = system->Spawn(manifest).value(), receiver = system->Spawn(manifest).value();
  system->WaitIdle(std::chrono::seconds(10));
  t0 = Clock::now();
  std::string sent = Ask(*system, sender, "blast " + receiver + " " + std::to_string(n) + " 16");
  while (Ask(*system, receiver, "count") != std::to_string(n)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  double rate = n / std::chrono::duration<double>(Clock::now() - t0).count();
  if (sent != "sent " + std::to_string(n)) std::fprintf(stderr, "blast: %s\n", sent.c_str());
  Report("one-way sends between actors, chains on", "msg/s", rate, bare_rate, 200000, false);
  system.reset();
  std::filesystem::remove_all(dir);
}

void BenchRequest() {
  auto engine = MakeEngine();
  auto dir = TempDir();
  int n = quick ? 2000 : 20000;
  auto component = engine->LoadComponentFile(THEATER_BLASTER).value();
  auto instance = BareInstance(engine, component);
  std::optional<Bytes> state = BareInit(*instance);
  std::vector<double> bare;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    auto out = CallWithState(*instance, contract::kMessageClient, "handle-request", contract::kHandleRequest, state,
                             ValueList{Value::String("r"), Value::BytesValue(ToBytes("q"))});
    bare.push_back(Micros(Clock::now() - t0));
    if (!out.ok()) std::exit(1);
  }
  auto system = MakeSystem(engine, dir);
  Manifest manifest = BlasterManifest();
  std::string asker = system->Spawn(manifest).value(), answerer = system->Spawn(manifest).value();
  system->WaitIdle(std::chrono::seconds(10));
  // Actor to actor: `asker` makes n requests to `answerer`, one after the other.
  auto t0 = Clock::now();
  Ask(*system, asker, "ask " + answerer + " " + std::to_string(n));
  double actor_rtt = Micros(Clock::now() - t0) / n;
  if (std::getenv("THEATER_BENCH_ASK_ONLY")) {
    std::printf("ask only: %.2f us\n", actor_rtt);
    std::exit(0);
  }
  // From outside, one at a time, each timed.
  std::vector<double> outside;
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    Ask(*system, answerer, "q");
    outside.push_back(Micros(Clock::now() - t));
  }
  Summary b = Summarize(bare), o = Summarize(outside);
  Report("request round trip, actor to actor (mean)", "us", actor_rtt, b.median, 20, true);
  Report("request round trip, from outside (median)", "us", o.median, b.median, 20, true);
  Report("request round trip, from outside (p99)", "us", o.p99, b.p99, 200, true);
  system.reset();
  std::filesystem::remove_all(dir);
}

// From a child's trap to its restarted instance answering a message.
void BenchRestart() {
  auto engine = MakeEngine();
  auto dir = TempDir();
  int n = quick ? 200 : 2000;
  // Baseline: the engine alone, after a trap: a new store, instance and init, then a call.
  auto component = engine->LoadComponentFile(THEATER_MESSENGER).value();
  std::vector<double> bare;
  auto instance = BareInstance(engine, component);
  BareInit(*instance);
  auto ask = [](Instance& i, const char* text) {
    return CallWithState(i, contract::kMessageClient, "handle-request", contract::kHandleRequest, std::nullopt,
                         ValueList{Value::String("r"), Value::BytesValue(ToBytes(text))});
  };
  for (int i = 0; i < n; ++i) {
    if (ask(*instance, "trap").ok()) std::exit(1);
    auto t0 = Clock::now();
    instance = BareInstance(engine, component);
    BareInit(*instance);
    if (!ask(*instance, "echo x").ok()) std::exit(1);
    bare.push_back(Micros(Clock::now() - t0));
  }

  auto system = MakeSystem(engine, dir);
  std::string boss_toml = (dir / "boss.toml").string(), child_toml = (dir / "child.toml").string();
  // A child's component must be within its parent's reach (the boss's folder): a copy.
  std::error_code copied;
  std::filesystem::copy_file(THEATER_MESSENGER, dir / "messenger.wasm", std::filesystem::copy_options::overwrite_existing,
                             copied);
  WriteFileAtomic(child_toml, ToBytes(std::string("name = \"child\"\nversion = \"1\"\ncomponent = \"messenger.wasm") +
                                      "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"));
  WriteFileAtomic(boss_toml, ToBytes(std::string("name = \"boss\"\nversion = \"1\"\ncomponent = \"") + THEATER_BOSS +
                                     "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                                     "[[handler]]\ntype = \"supervisor\"\nmax_restarts = 1000000\nbackoff_initial_ms = 0\n"));
  std::string boss = system->Spawn(LoadManifest(boss_toml).value()).value();
  std::string child = Ask(*system, boss, "spawn " + child_toml).substr(4);
  system->WaitIdle(std::chrono::seconds(10));
  std::vector<double> restart;
  for (int i = 0; i < n; ++i) {
    RequestResult trapped = system->Request(child, ToBytes("trap")).get();
    if (trapped.ok) std::exit(1);
    auto t0 = Clock::now();  // the trap has happened: its caller has heard of it
    while (!system->Request(child, ToBytes("echo x")).get().ok) {
    }
    restart.push_back(Micros(Clock::now() - t0));
  }
  Summary s = Summarize(restart), b = Summarize(bare);
  Report("child trap -> restarted child answers (median)", "us", s.median, b.median, 1000, true);
  Report("child trap -> restarted child answers (p99)", "us", s.p99, b.p99, 10000, true);
  system.reset();
  std::filesystem::remove_all(dir);
}

// Runs in a child process, so that its memory is measured alone. Writes bytes per actor.
double MemoryPerActor(bool bare, int n) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto engine = MakeEngine();
    auto dir = TempDir();
    auto component = engine->LoadComponentFile(THEATER_BLASTER).value();
    double per_actor;
    if (bare) {
      BareInit(*BareInstance(engine, component));  // warm up: code and first allocations
      std::vector<std::unique_ptr<Instance>> instances;
      size_t before = RssBytes();
      for (int i = 0; i < n; ++i) {
        instances.push_back(BareInstance(engine, component));
        BareInit(*instances.back());
      }
      per_actor = static_cast<double>(RssBytes() - before) / n;
    } else {
      auto system = MakeSystem(engine, dir);
      Manifest manifest = BlasterManifest();
      system->Spawn(manifest);  // warm up
      system->WaitIdle(std::chrono::seconds(10));
      size_t before = RssBytes();
      for (int i = 0; i < n; ++i)
        if (!system->Spawn(manifest).ok()) std::exit(1);
      system->WaitIdle(std::chrono::seconds(60));
      per_actor = static_cast<double>(RssBytes() - before) / n;
      std::_Exit((write(fds[1], &per_actor, sizeof per_actor) == sizeof per_actor) ? 0 : 1);
    }
    std::_Exit((write(fds[1], &per_actor, sizeof per_actor) == sizeof per_actor) ? 0 : 1);
  }
  close(fds[1]);
  double per_actor = -1;
  if (read(fds[0], &per_actor, sizeof per_actor) != sizeof per_actor) per_actor = -1;
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return per_actor;
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;  // --only memory|spawn|send|request|restart
  for (int i = 1; i < argc; ++i) {
    quick |= std::strcmp(argv[i], "--quick") == 0;
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
  }
  auto run = [&](const char* name) { return only.empty() || only == name; };
  int idle = quick ? 1000 : 10000;
  if (!run("memory")) {
    if (run("spawn")) BenchSpawn();
    if (run("send")) BenchSend();
    if (run("request")) BenchRequest();
    if (run("restart")) BenchRestart();
    return 0;
  }
  // Memory first, in child processes forked before this process starts any thread.
  double theater_mem = MemoryPerActor(false, idle), bare_mem = MemoryPerActor(true, idle);
  std::printf("theater_bench%s: %u cores\n", quick ? " --quick" : "", std::thread::hardware_concurrency());
  Report(("resident memory per idle actor (" + std::to_string(idle) + " alive)").c_str(), "KiB",
         theater_mem / 1024, bare_mem / 1024, 256, true);
  BenchSpawn();
  BenchSend();
  BenchRequest();
  BenchRestart();
  return 0;
}
