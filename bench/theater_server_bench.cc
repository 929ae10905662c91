// Load test of the server over loopback TCP: C clients, each on its own thread with its
// own connection, send RequestActorMessage round-robin to K echo actors (one outstanding
// per client: the protocol answers a connection's commands in order). The baseline,
// measured in the same run on the same server, is as many threads calling
// ActorSystem::Request(...).get() on the server's own actor system, so the ratio is what
// the protocol, the socket and the JSON on both ends cost. Then the same load with a
// subscriber that never reads its events, which must cost little and break nothing.
//
//   theater_server_bench [--quick] [--clients N] [--seconds S] [--workers N]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "runtime/actor_system.h"
#include "server/client.h"
#include "server/server.h"
#include "server_util.h"

using namespace theater;
using Clock = std::chrono::steady_clock;

namespace {

using bench::Micros;

constexpr size_t kActors = 4;
size_t workers = 0;  // --workers: the actor system's worker threads (0: one per core)
// Begins the reason of a failure that leaves a client without its connection.
constexpr const char* kTransport = "connection: ";

// CPU time of the process. On a shared machine the wall-clock rates move with the other
// load; the CPU spent per request moves much less.
double CpuSeconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "theater_server_bench: %s\n", why.c_str());
  std::exit(1);
}

// What one measurement saw: every request's round trip, and what went wrong.
struct Load {
  size_t clients = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // of the whole process: server, actors and clients together
  std::vector<double> latencies;  // µs
  std::string first_error;

  double rate() const { return seconds > 0 ? requests / seconds : 0; }
  double cpu_per_request() const { return requests ? cpu_seconds * 1e6 / requests : 0; }
  double Percentile(double p) const {
    if (latencies.empty()) return 0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(latencies.size() * p))];
  }
};

// Per thread, merged at the end so that the loop itself shares nothing.
struct ThreadLoad {
  uint64_t requests = 0, errors = 0;
  std::vector<double> latencies;
  std::string first_error;
  void Fail(const std::string& why) {
    if (errors++ == 0) first_error = why;
  }
};

Load Merge(std::vector<ThreadLoad>& parts, Clock::time_point start, Clock::time_point end) {
  Load load;
  load.clients = parts.size();
  load.seconds = std::chrono::duration<double>(end - start).count();
  for (ThreadLoad& p : parts) {
    load.requests += p.requests;
    load.errors += p.errors;
    if (load.first_error.empty()) load.first_error = p.first_error;
    load.latencies.insert(load.latencies.end(), p.latencies.begin(), p.latencies.end());
  }
  std::sort(load.latencies.begin(), load.latencies.end());
  return load;
}

// One request through the protocol; false (and why) unless it comes back as sent.
bool ProtocolEcho(server::Client& client, const std::string& id, const std::string& text, std::string* why) {
  auto r = client.Call(server::json{{"RequestActorMessage", {{"id", id}, {"data", "echo " + text}}}});
  if (!r.ok()) return *why = kTransport + r.error(), false;
  auto it = r->find("RequestedMessage");
  if (it == r->end()) return *why = r->dump(), false;
  const server::json& message = (*it)["message"];
  std::string got;
  for (const auto& b : message) got.push_back(static_cast<char>(b.get<int>()));
  if (got != text) return *why = "sent `" + text + "`, got `" + got + "`", false;
  return true;
}

bool DirectEcho(ActorSystem& system, const std::string& id, const std::string& text, std::string* why) {
  RequestResult r = system.Request(id, ToBytes("echo " + text)).get();
  if (!r.ok) return *why = r.error, false;
  if (ToString(r.response) != text) return *why = "sent `" + text + "`, got `" + ToString(r.response) + "`", false;
  return true;
}

// `clients` threads, each asking `ask(thread, actor id, text, why)` in a loop for `duration`
// after a common start (connections are made before it, outside the time).
template <typename Setup, typename Ask>
Load Drive(size_t clients, const std::vector<std::string>& ids, Clock::duration duration, Setup setup, Ask ask) {
  std::vector<ThreadLoad> parts(clients);
  std::latch ready(static_cast<ptrdiff_t>(clients) + 1);
  std::atomic<bool> go{false};
  Clock::time_point start;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto state = setup();
      ThreadLoad& me = parts[t];
      me.latencies.reserve(1 << 16);
      ready.arrive_and_wait();
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      Clock::time_point deadline = start + duration;
      for (uint64_t i = 0;; ++i) {
        auto t0 = Clock::now();
        if (t0 >= deadline) break;
        // Unique texts, so that a response given to the wrong request would be seen.
        std::string text = "c" + std::to_string(t) + "-" + std::to_string(i);
        std::string why;
        bool ok = ask(state, ids[(t + i) % ids.size()], text, &why);
        me.latencies.push_back(Micros(Clock::now() - t0));
        ++me.requests;
        if (!ok) {
          me.Fail(why);
          if (why.rfind(kTransport, 0) == 0) break;  // the connection is gone
        }
      }
    });
  }
  ready.arrive_and_wait();
  double cpu = CpuSeconds();
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  Load load = Merge(parts, start, Clock::now());
  load.cpu_seconds = CpuSeconds() - cpu;
  return load;
}

Load OverProtocol(bench::RunningServer& server, const std::vector<std::string>& ids, size_t clients, Clock::duration d) {
  return Drive(clients, ids, d, [&] { return server.Connect(); },
               [](std::unique_ptr<server::Client>& c, const std::string& id, const std::string& text, std::string* why) {
                 return ProtocolEcho(*c, id, text, why);
               });
}

Load Direct(bench::RunningServer& server, const std::vector<std::string>& ids, size_t clients, Clock::duration d) {
  ActorSystem& system = server->system();
  return Drive(clients, ids, d, [] { return 0; },
               [&system](int&, const std::string& id, const std::string& text, std::string* why) {
                 return DirectEcho(system, id, text, why);
               });
}

void CheckErrors(const char* what, const Load& load) {
  if (load.errors == 0) return;
  std::printf("  %s: %llu errors; first: %s\n", what, static_cast<unsigned long long>(load.errors),
              load.first_error.c_str());
}

// `a` is the measurement, `b` its baseline; "x" columns are a / b.
void PrintHeader(const std::string& a, const std::string& b) {
  std::printf("%7s | %9s %9s %5s | %-26s %5s | %-22s | %-22s | %6s\n", "clients", (a + "/s").c_str(),
              (b + "/s").c_str(), "x", ("CPU us/req (" + a + "/" + b + ")").c_str(), "x",
              (a + " med/p99/max us").c_str(), (b + " med/p99/max us").c_str(), "errors");
}

std::string Latencies(const Load& l) {
  char text[64];
  std::snprintf(text, sizeof text, "%.0f/%.0f/%.0f", l.Percentile(0.5), l.Percentile(0.99),
                l.latencies.empty() ? 0.0 : l.latencies.back());
  return text;
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

void PrintRow(const Load& a, const Load& b) {
  char cpu[64];
  std::snprintf(cpu, sizeof cpu, "%.1f/%.1f", a.cpu_per_request(), b.cpu_per_request());
  std::printf("%7zu | %9.0f %9.0f %5.2f | %-26s %5.2f | %-22s | %-22s | %6llu\n", a.clients, a.rate(), b.rate(),
              Ratio(a.rate(), b.rate()), cpu, Ratio(a.cpu_per_request(), b.cpu_per_request()), Latencies(a).c_str(),
              Latencies(b).c_str(), static_cast<unsigned long long>(a.errors + b.errors));
  std::fflush(stdout);
}

// Throughput through the protocol, and directly, for each number of clients. A new
// server for each, so that one point's chains (kept in memory) do not weigh on the next.
uint64_t BenchThroughput(const std::vector<size_t>& client_sets, Clock::duration d) {
  std::printf("\nRequestActorMessage to %zu echo actors over loopback, %.1f s per point; "
              "baseline: as many threads calling ActorSystem::Request directly\n",
              kActors, std::chrono::duration<double>(d).count());
  PrintHeader("server", "direct");
  uint64_t errors = 0;
  for (size_t clients : client_sets) {
    bench::RunningServer server(workers);
    auto ids = server.StartEchoActors(kActors, THEATER_MESSENGER);
    Load direct = Direct(server, ids, clients, d);
    Load over = OverProtocol(server, ids, clients, d);
    PrintRow(over, direct);
    CheckErrors("server", over);
    CheckErrors("direct", direct);
    errors += over.errors + direct.errors;
  }
  return errors;
}

void Add(Load& total, const Load& part) {
  total.clients = part.clients;
  total.requests += part.requests, total.errors += part.errors;
  total.seconds += part.seconds, total.cpu_seconds += part.cpu_seconds;
  total.latencies.insert(total.latencies.end(), part.latencies.begin(), part.latencies.end());
  if (total.first_error.empty()) total.first_error = part.first_error;
}

// Events recorded by `id` so far.
size_t EventCount(bench::RunningServer& server, const std::string& id) {
  auto info = server->system().Info(id);
  return info.ok() ? info->events : 0;
}

// The same load without, then with, a client subscribed to actor 1's events that never
// reads them: once the socket's buffers and the connection's stream budget are full, the
// server must drop its events (and tell it later) rather than slow the actors or hold the
// bytes. Each round: without; a new subscriber, and the load until its buffers must be
// full (far more event bytes than they hold); with it stalled; the subscriber leaves. The
// filling phase is reported apart: it is what any subscriber costs, reading or not (each
// event encoded as JSON).
uint64_t BenchSlowSubscriber(size_t clients, Clock::duration d, int rounds) {
  // About 700 bytes of JSON each: 30,000 events are 3 times what the kernel's buffers
  // (4 MiB of send buffer here) and the 4 MiB stream budget can hold together.
  constexpr size_t kFillEvents = 30000;
  bench::RunningServer server(workers);
  auto ids = server.StartEchoActors(kActors, THEATER_MESSENGER);
  std::printf("\nSame load, %zu clients, %d round(s): without, and with one subscriber to actor 1's events that "
              "never reads, once its buffers are full; %.1f s each\n",
              clients, rounds, std::chrono::duration<double>(d).count());
  PrintHeader("with", "without");
  Load without, with, filling;
  uint64_t errors = 0, events = 0, dropped = 0, lag_notices = 0;
  size_t filled_events = 0;
  bool up = true;
  for (int round = 0; round < rounds; ++round) {
    Load a = OverProtocol(server, ids, clients, d);
    auto subscriber = server.Connect();
    auto r = subscriber->Call(server::json{{"SubscribeToActor", {{"id", ids[0]}}}});
    if (!r.ok() || !r->contains("Subscribed")) Die("SubscribeToActor: " + (r.ok() ? r->dump() : r.error()));
    size_t at_subscribe = EventCount(server, ids[0]);
    for (int chunk = 0; chunk < 20 && EventCount(server, ids[0]) - at_subscribe < kFillEvents; ++chunk)
      Add(filling, OverProtocol(server, ids, clients, d / 2));
    filled_events += EventCount(server, ids[0]) - at_subscribe;
    Load b = OverProtocol(server, ids, clients, d);
    PrintRow(b, a);
    CheckErrors("without subscriber", a);
    CheckErrors("with subscriber", b);
    Add(without, a);
    Add(with, b);

    // The server is still there, for a new client too.
    auto fresh = server.Connect();
    auto info = fresh->Call(server::json("GetServerInfo"));
    up &= info.ok() && info->contains("ServerInfo");
    // What the subscriber gets when it finally reads: the events that fitted, then a
    // notice of how many were dropped.
    for (;;) {
      auto m = subscriber->ReadMessage(std::chrono::milliseconds(500));
      if (!m.ok()) Die("subscriber: " + m.error());
      if (!*m) break;
      if ((*m)->contains("ActorEvent")) ++events;
      if ((*m)->contains("SubscriptionLagged"))
        ++lag_notices, dropped += (**m)["SubscriptionLagged"]["dropped"].get<uint64_t>();
    }
    subscriber.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server sees it leave
  }
  errors += without.errors + with.errors + filling.errors + (up ? 0 : 1);
  CheckErrors("while filling", filling);
  std::sort(without.latencies.begin(), without.latencies.end());
  std::sort(with.latencies.begin(), with.latencies.end());
  std::sort(filling.latencies.begin(), filling.latencies.end());
  std::printf("all rounds:\n");
  PrintRow(with, without);
  std::printf("while the subscriber's buffers filled (%zu events of actor 1 in %.1f s):\n", filled_events,
              filling.seconds);
  PrintRow(filling, without);
  std::printf("server answered GetServerInfo after each round: %s; the subscribers, reading at last: %llu events, "
              "%llu lag notices (%llu events dropped)\n",
              up ? "yes" : "NO", static_cast<unsigned long long>(events), static_cast<unsigned long long>(lag_notices),
              static_cast<unsigned long long>(dropped));
  return errors;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  size_t only_clients = 0;
  double seconds = 3;
  bool seconds_given = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--clients") == 0 && i + 1 < argc) {
      only_clients = std::strtoul(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      workers = std::strtoul(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
      seconds_given = true;
    } else {
      Die(std::string("unknown argument `") + argv[i] + "`; usage: theater_server_bench [--quick] [--clients N] [--seconds S] [--workers N]");
    }
  }
  if (quick && !seconds_given) seconds = 0.5;
  std::vector<size_t> sets = only_clients ? std::vector<size_t>{only_clients} : std::vector<size_t>{1, 8, 32, 64};
  auto d = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));

  std::printf("theater_server_bench%s: %u cores, %zu echo actors (tests/guests/messenger.c), %s workers\n",
              quick ? " --quick" : "", std::thread::hardware_concurrency(), kActors,
              workers ? std::to_string(workers).c_str() : "default (one per core)");
  uint64_t errors = BenchThroughput(sets, d);
  errors += BenchSlowSubscriber(only_clients ? only_clients : 8, d, quick ? 1 : 2);
  if (errors) {
    std::printf("\n%llu errors\n", static_cast<unsigned long long>(errors));
    return 1;
  }
  return 0;
}
