// The cluster's cost (docs/cluster.md): two nodes (in this process, each a full server
// with its own actor system) joined through a real nats-server on loopback. Measured in
// the same run, against two baselines:
//   - the same on one node (the actors side by side), and
//   - a bare NATS request/reply between two clients of the same nats-server, which is the
//     floor for anything that crosses nodes.
// 1. Request round trip, actor to actor: the blaster actor asks another n times in one turn
//    ("ask ID N"), on the same node or on the other.
// 2. Request round trip from outside (ActorSystem::Request) to an actor.
// 3. One-way sends per second, actor to actor ("blast ID N 64"), until all have arrived.
//
//   theater_cluster_bench [--quick]
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "cluster/nats_client.h"
#include "nats_server.h"
#include "server_util.h"

using namespace theater;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kToken = "bench-cluster-token";

pid_t nats_pid = -1;  // killed at exit too, when a measurement fails (bench::Fail exits)

// The cluster's nats-server, on a free loopback port.
struct Nats {
  testing::NatsServer server;
  std::string url;
  Nats() : server(testing::FreePort(), kToken), url(server.url()) {
    if (!server.running()) bench::Fail("cannot start nats-server (Debian's nats-server package)");
    nats_pid = server.pid();
    std::atexit([] {
      if (nats_pid > 0) ::kill(nats_pid, SIGKILL);
    });
  }
  ~Nats() { nats_pid = -1; }
};

// Median and 99th percentile of `n` timed calls of `f`, in µs.
template <typename F>
std::pair<double, double> Time(size_t n, F f) {
  std::vector<double> us;
  us.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    f();
    us.push_back(bench::Micros(Clock::now() - t0));
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

std::string Text(const RequestResult& r) { return r.ok ? ToString(r.response) : "ERROR " + r.error; }

std::string StartBlaster(bench::RunningServer& server) {
  auto client = server.Connect();
  std::string manifest = std::string("name = \"blaster\"\nversion = \"1\"\ncomponent = \"") + THEATER_BLASTER +
                         "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
  auto r = client->Call(server::json{{"StartActor", {{"manifest", manifest}}}});
  if (!r.ok() || !r->contains("ActorStarted")) bench::Fail("StartActor: " + (r.ok() ? r->dump() : r.error()));
  server->system().WaitIdle(std::chrono::seconds(10));
  return (*r)["ActorStarted"]["id"].get<std::string>();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  // A blast is one turn of the sending actor: it must end within its call timeout (10 s).
  size_t n = quick ? 300 : 2000;
  size_t blast = quick ? 1000 : 5000;
  Nats nats;
  auto node = [&](const char* name) {
    return std::make_unique<bench::RunningServer>(1, [&](server::ServerOptions& o) {
      o.cluster.url = nats.url;
      o.cluster.node = name;
      o.cluster.secret = kToken;
    });
  };
  auto a = node("a");
  auto b = node("b");
  std::string sender = StartBlaster(*a), local = StartBlaster(*a), remote = StartBlaster(*b);
  ActorSystem& sys = (*a)->system();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // membership settles

  auto ask = [&](const std::string& id, const std::string& text) {
    std::string r = Text(sys.Request(id, ToBytes(text), std::chrono::seconds(120)).get());
    if (r.rfind("ERROR", 0) == 0) bench::Fail(id + ": " + r);
    return r;
  };
  // How many messages `id` has had. Its mailbox may be full for a moment after a blast
  // (the sender stops at the first refusal, as locally): asked again then.
  auto count = [&](const std::string& id) {
    for (;;) {
      std::string r = Text(sys.Request(id, ToBytes("count"), std::chrono::seconds(120)).get());
      if (r.find("is full") != std::string::npos) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (r.rfind("ERROR", 0) == 0) bench::Fail(id + ": " + r);
      return std::stoull(r);
    }
  };
  for (int i = 0; i < 50; ++i) ask(remote, "warm");
  ask(sender, "ask " + local + " 50");
  ask(sender, "ask " + remote + " 50");

  // Bare NATS request/reply between two clients of the same server.
  auto responder = cluster::NatsClient::Connect({nats.url, kToken, "bench-responder", nullptr});
  auto requester = cluster::NatsClient::Connect({nats.url, kToken, "bench-requester", nullptr});
  if (!responder.ok() || !requester.ok()) bench::Fail("NATS clients");
  cluster::NatsClient* r = responder->get();
  auto sub = r->Subscribe("bench.echo", [r](cluster::NatsMessage m) { (void)r->Publish(m.reply, m.data); });
  if (!sub.ok()) bench::Fail(sub.error());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Bytes ping = ToBytes("ask 0123456789abcdef 1");
  for (int i = 0; i < 50; ++i) (void)(*requester)->Request("bench.echo", ping, std::chrono::seconds(2));
  auto [nats_med, nats_p99] = Time(n, [&] {
    auto reply = (*requester)->Request("bench.echo", ping, std::chrono::seconds(2));
    if (reply.error != cluster::NatsClient::RequestError::kNone) bench::Fail("bare NATS: " + reply.why);
  });

  // Actor to actor: one request at a time, n of them, timed inside the asking actor's turn.
  auto per_request = [&](const std::string& to) {
    auto t0 = Clock::now();
    std::string answer = ask(sender, "ask " + to + " " + std::to_string(n));
    if (answer != "asked " + std::to_string(n)) bench::Fail("ask: " + answer);
    return bench::Micros(Clock::now() - t0) / n;
  };
  double aa = per_request(local), ab = per_request(remote);
  auto [oa_med, oa_p99] = Time(n, [&] { ask(local, "echo"); });
  auto [ob_med, ob_p99] = Time(n, [&] { ask(remote, "echo"); });

  // One-way sends, actor to actor: `blast` messages of 64 bytes, until all have arrived.
  auto send_rate = [&](const std::string& to) {
    uint64_t before = count(to);
    auto t0 = Clock::now();
    std::string answer = ask(sender, "blast " + to + " " + std::to_string(blast) + " 64");
    uint64_t sent = std::stoull(answer.substr(answer.find(' ') + 1));
    while (count(to) < before + sent) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return std::pair<double, uint64_t>(sent / seconds, sent);
  };
  auto [local_rate, local_sent] = send_rate(local);
  auto [remote_rate, remote_sent] = send_rate(remote);

  std::printf("theater_cluster_bench: 2 nodes over nats-server on loopback, %zu round trips each\n", n);
  std::printf("%-46s %10s %10s %9s\n", "", "median µs", "p99 µs", "ratio");
  std::printf("%-46s %10.1f %10.1f %8s\n", "bare NATS request/reply (baseline)", nats_med, nats_p99, "1.00x");
  std::printf("%-46s %10.1f %10s %8.2fx\n", "actor -> actor request, one node (mean)", aa, "-", aa / nats_med);
  std::printf("%-46s %10.1f %10s %8.2fx\n", "actor -> actor request, across nodes (mean)", ab, "-", ab / nats_med);
  std::printf("%-46s %10.1f %10.1f %8.2fx\n", "outside -> actor request, one node", oa_med, oa_p99, oa_med / nats_med);
  std::printf("%-46s %10.1f %10.1f %8.2fx\n", "outside -> actor request, across nodes", ob_med, ob_p99, ob_med / nats_med);
  std::printf("a cross-node request costs %.2fx a one-node request (actor to actor), %.2fx (from outside)\n", ab / aa,
              ob_med / oa_med);
  std::printf("one-way sends/s, actor to actor (64 B, until all arrived): one node %.0f (%llu sent), across nodes "
              "%.0f (%llu sent): %.2fx\n",
              local_rate, (unsigned long long)local_sent, remote_rate, (unsigned long long)remote_sent,
              remote_rate / local_rate);
  return 0;
}
