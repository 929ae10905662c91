// The user-visible latencies of issue 14, each with a baseline measured in the same run:
//
// The actor is bench/guests/blaster.c: a request is answered with itself, a one-way message
// counted in its 8-byte state.
//
//   stop         StopActor round trip through the server   / GetServerInfo round trip (the protocol's floor)
//   request      RequestActorMessage round trip, median      / ActorSystem::Request in the server's process
//   large        a 1 MiB request round trip, bytes as base64 both ways / the same as arrays of numbers
//   pipelined    10,000 SendActorMessage written at once by one client, until every answer is
//                read and every message handled             / ActorSystem::Send of as many, until handled
//   version      `theater --version`                         / `/bin/true` (starting any process)
//   server-start `theater server` until it accepts a connection / `/bin/true`
//   cli          `theater start`, `request`, `stop` (3 processes) against a running server / 3 × `/bin/true`
//
//   theater_latency_bench [--quick] [--only NAME]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "runtime/actor_system.h"
#include "server/frame.h"
#include "server_util.h"

extern char** environ;

using namespace theater;
using Clock = std::chrono::steady_clock;

namespace {

using bench::Micros;
using bench::Median;

bool quick = false;

// Median of `n` timings of `once` (µs).
double Time(size_t n, const std::function<void()>& once) {
  std::vector<double> xs;
  for (size_t i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    once();
    xs.push_back(Micros(Clock::now() - t0));
  }
  return Median(xs);
}

void Report(const char* what, const char* unit, double value, double baseline, double target, const char* note = "") {
  std::printf("%-58s %10.1f %-4s baseline %10.1f  ratio %6.2f", what, value, unit, baseline,
              baseline > 0 ? value / baseline : 0.0);
  if (target > 0) std::printf("  target <= %.0f %s %s", target, unit, value <= target ? "MET" : "NOT MET");
  std::printf("  %s\n", note);
  std::fflush(stdout);
}

// Starts a program, its output going to /dev/null; its pid.
pid_t Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) bench::Fail(std::string("spawn ") + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Runs a program to its end; its exit status.
int Run(const std::vector<std::string>& argv) {
  pid_t pid = Spawn(argv);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs a program and returns its first line of output (for `theater start`: the id).
std::string RunForLine(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) bench::Fail("popen " + command);
  char line[256] = {0};
  if (!std::fgets(line, sizeof line, p)) line[0] = 0;
  ::pclose(p);
  std::string s = line;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

server::json Call(server::Client& c, const server::json& command) {
  auto r = c.Call(command);
  if (!r.ok()) bench::Fail(command.dump() + ": " + r.error());
  return *r;
}

void BenchStop() {
  bench::RunningServer server;
  auto client = server.Connect();
  size_t n = quick ? 20 : 100;
  std::vector<double> stops;
  for (size_t i = 0; i < n; ++i) {
    std::string id = bench::RunningServer::StartEcho(*client, THEATER_BLASTER);
    server->system().WaitIdle(std::chrono::seconds(10));
    auto t0 = Clock::now();
    auto r = Call(*client, {{"StopActor", {{"id", id}}}});
    stops.push_back(Micros(Clock::now() - t0));
    if (!r.contains("ActorStopped")) bench::Fail("StopActor: " + r.dump());
  }
  double floor = Time(n, [&] { Call(*client, {{"GetServerInfo", server::json::object()}}); });
  Report("StopActor round trip (median)", "us", Median(stops), floor, 1000);
}

void BenchRequest() {
  bench::RunningServer server;
  auto ids = server.StartEchoActors(1, THEATER_BLASTER);
  auto client = server.Connect();
  size_t n = quick ? 2000 : 10000;
  server::json command = {{"RequestActorMessage", {{"id", ids[0]}, {"data", "hi"}}}};
  for (int i = 0; i < 200; ++i) Call(*client, command);  // warm up
  double protocol = Time(n, [&] { Call(*client, command); });
  double direct = Time(n, [&] { server->system().Request(ids[0], ToBytes("hi")).get(); });
  // The same, the caller spinning on the answer instead of sleeping: the difference is what
  // waking a sleeping thread costs on this machine (the server path has two such wake-ups).
  double spun = Time(n, [&] {
    auto f = server->system().Request(ids[0], ToBytes("hi"));
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) __builtin_ia32_pause();
  });
  std::printf("  (in-process request with the caller spinning, not sleeping: %.1f us)\n", spun);
  Report("request round trip through the server (median)", "us", protocol, direct, 40);
}

void BenchLarge() {
  bench::RunningServer server;
  auto ids = server.StartEchoActors(1, THEATER_BLASTER);
  auto arrays = server.Connect();
  auto base64 = server.Connect();
  Call(*base64, {{"SetBytesEncoding", {{"encoding", "base64"}}}});
  Bytes payload(1000 << 10);  // under max_message_bytes (1 MiB), not text
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 131 + 7);
  auto command = [&](bool as_base64) {
    return server::json{{"RequestActorMessage", {{"id", ids[0]}, {"data", server::BytesToJson(payload, as_base64)}}}};
  };
  auto once = [&](server::Client& c, const server::json& cmd) {
    auto r = Call(c, cmd);
    auto back = server::BytesFromJson(r["RequestedMessage"]["message"]);
    if (!back.ok() || *back != payload) bench::Fail("1 MiB request: wrong answer " + r.dump().substr(0, 200));
  };
  size_t n = quick ? 5 : 20;
  server::json as_array = command(false), as_base64 = command(true);
  double a = Time(n, [&] { once(*arrays, as_array); });
  double b = Time(n, [&] { once(*base64, as_base64); });
  Report("1 MiB request round trip, bytes as base64 (median)", "ms", b / 1e3, a / 1e3, 0,
         "(baseline: the same as arrays of numbers)");
}

void BenchPipelined() {
  bench::RunningServer server;
  auto ids = server.StartEchoActors(1, THEATER_BLASTER);
  auto client = server.Connect();
  // At most kWindow unanswered: the actor's mailbox (1,024) is never full, so every send is
  // taken; frames go out kBatch at a time, as answers come back.
  constexpr size_t n = 10000, kWindow = 512, kBatch = 128;
  std::string frame = server::EncodeFrame(server::json{{"SendActorMessage", {{"id", ids[0]}, {"data", "x"}}}}.dump());
  auto send = [&](size_t k) {
    std::string frames;
    for (size_t i = 0; i < k; ++i) frames += frame;
    if (Status s = client->SendRaw(frames); !s.ok()) bench::Fail("send: " + s.message());
  };
  ActorSystem& system = server->system();
  auto t0 = Clock::now();
  // A send the full mailbox refused is sent again (the client's side of backpressure).
  size_t sent = std::min(n, kWindow), taken = 0, answers = 0, refused = 0;
  send(sent);
  while (taken < n) {
    auto m = client->ReadMessage(std::chrono::seconds(30));
    if (!m.ok() || !*m) bench::Fail("answer " + std::to_string(answers) + ": " + (!m.ok() ? m.error() : "none in 30 s"));
    ++answers;
    if ((*m)->contains("SentMessage")) {
      ++taken;
    } else if ((*m)->dump().find("is full") != std::string::npos) {
      ++refused;
      --sent;
    } else {
      bench::Fail("answer " + std::to_string(answers) + ": " + (*m)->dump());
    }
    if (answers % kBatch == 0 && sent < n) {
      size_t k = std::min(kBatch, n - sent);
      send(k);
      sent += k;
    }
    if (sent < n && sent - taken < kWindow / 2) {  // the refused ones leave room
      size_t k = std::min(kBatch, n - sent);
      send(k);
      sent += k;
    }
  }
  double answered = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!system.WaitIdle(std::chrono::seconds(60))) bench::Fail("the sends were not handled within 60 s");
  std::fprintf(stderr, "  (all taken after %.0f ms, %zu refused by a full mailbox and sent again; then handled)\n",
               answered * 1e3, refused);
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  auto t1 = Clock::now();
  for (size_t i = 0; i < n;) {  // as many taken, waiting while the mailbox is full
    Status s = system.Send(ids[0], ToBytes("x"));
    if (s.ok()) ++i;
    else if (s.message().find("is full") != std::string::npos) std::this_thread::yield();
    else {
      auto info = system.Info(ids[0]);
      bench::Fail("Send " + std::to_string(i) + ": " + s.message() + (info.ok() ? " status " + std::string(ActorStatusName(info->status)) + " " + info->stop_reason + (info->failure ? ": " + info->failure->message : "") : ""));
    }
  }
  if (!system.WaitIdle(std::chrono::seconds(60))) bench::Fail("the direct sends were not handled within 60 s");
  double direct = std::chrono::duration<double>(Clock::now() - t1).count();
  Report("pipelined one-way sends from one client, handled", "k/s", n / seconds / 1e3, n / direct / 1e3, 0,
         "(higher is better; target >= 100 k/s)");
}

void BenchVersion() {
  size_t n = quick ? 20 : 60;
  double version = Time(n, [] { Run({THEATER_CLI, "--version"}); });
  double floor = Time(n, [] { Run({"/bin/true"}); });
  Report("theater --version", "ms", version / 1e3, floor / 1e3, 3);
}

// A free loopback port (bound, then let go: the server takes it next).
int FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

void BenchServerStart() {
  size_t n = quick ? 5 : 15;
  std::vector<double> starts;
  for (size_t i = 0; i < n; ++i) {
    auto dir = bench::TempDir();
    std::string listen = "127.0.0.1:" + std::to_string(FreePort());
    auto t0 = Clock::now();
    pid_t pid = Spawn({THEATER_CLI, "--data-dir", dir.string(), "server", "--listen", listen});
    bool up = false;
    while (!up && Clock::now() - t0 < std::chrono::seconds(10)) {
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      asio::error_code ec;
      s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), std::stoi(listen.substr(10))), ec);
      up = !ec;
      if (!up) ::usleep(100);
    }
    starts.push_back(Micros(Clock::now() - t0));
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    if (!up) bench::Fail("the server did not listen within 10 s");
  }
  double floor = Time(n, [] { Run({"/bin/true"}); });
  Report("theater server: start to listening (median)", "ms", Median(starts) / 1e3, floor / 1e3, 5);
}

void BenchCli() {
  bench::RunningServer server;
  auto manifest = server.dir() / "echo.toml";
  {
    FILE* f = std::fopen(manifest.c_str(), "w");
    std::string text = bench::RunningServer::EchoManifest(THEATER_BLASTER);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  std::string addr = server.address(), cli = THEATER_CLI;
  size_t n = quick ? 5 : 20;
  double three = Time(n, [&] {
    std::string line = RunForLine(cli + " start --server " + addr + " " + manifest.string());  // "started  ID"
    std::string id = line.substr(line.find_last_of(' ') + 1);
    if (id.empty()) bench::Fail("theater start printed nothing");
    if (Run({cli, "request", "--server", addr, id, "hi"}) != 0) bench::Fail("theater request failed");
    if (Run({cli, "stop", "--server", addr, id}) != 0) bench::Fail("theater stop failed");
  });
  double floor = Time(n, [] {
    RunForLine("/bin/true");
    Run({"/bin/true"});
    Run({"/bin/true"});
  });
  Report("CLI start + request + stop (3 processes)", "ms", three / 1e3, floor / 1e3, 12);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else bench::Fail(std::string("unknown argument `") + argv[i] +
                     "`; usage: theater_latency_bench [--quick] [--only stop|request|large|pipelined|version|server-start|cli]");
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("theater_latency_bench: %u cores\n", std::thread::hardware_concurrency());
  struct Part {
    const char* name;
    void (*run)();
  } parts[] = {{"stop", BenchStop},         {"request", BenchRequest},           {"large", BenchLarge},
               {"pipelined", BenchPipelined},
               {"version", BenchVersion},   {"server-start", BenchServerStart}, {"cli", BenchCli}};
  for (const Part& p : parts)
    if (only.empty() || only == p.name) p.run();
  return 0;
}
