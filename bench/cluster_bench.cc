// The cluster's cost (docs/cluster.md): two nodes (in this process, each a full server
// with its own actor system) joined through a real nats-server on loopback. Measured in
// the same run, against two baselines:
//   - the same on one node (the actors side by side), and
//   - a bare NATS request/reply between two clients of the same nats-server, which is the
//     floor for anything that crosses nodes.
// 1. Request round trip, actor to actor: an echo actor asks another ("request ID echo x").
// 2. Request round trip from outside (ActorSystem::Request) to an actor.
// 3. One-way sends per second from outside into an actor (a retry when its mailbox is full).
//
//   theater_cluster_bench [--quick]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "cluster/nats_client.h"
#include "server_util.h"

extern char** environ;

using namespace theater;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kToken = "bench-cluster-token";

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Nats {
  pid_t pid = -1;
  std::string url;
  Nats() {
    uint16_t port = FreePort();
    url = "nats://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> args = {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port), "--auth", kToken};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (::posix_spawnp(&pid, "nats-server", &actions, nullptr, argv.data(), environ) != 0)
      bench::Fail("cannot start nats-server (Debian's nats-server package)");
    posix_spawn_file_actions_destroy(&actions);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ~Nats() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
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

// One-way sends into `to` for `seconds`: sends accepted per second.
double SendRate(ActorSystem& system, const std::string& to, double seconds) {
  Bytes message = ToBytes("set x");  // the state stays small: every turn costs the same
  uint64_t sent = 0;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto t0 = Clock::now();
  while (Clock::now() < end) {
    Status s = system.Send(to, message);
    if (s.ok()) ++sent;
    else if (s.message().find("full") == std::string::npos) bench::Fail("send: " + s.message());
    else std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  system.WaitIdle(std::chrono::seconds(30));
  return sent / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  size_t n = quick ? 300 : 3000;
  double seconds = quick ? 1 : 3;
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
  auto ids_a = a->StartEchoActors(2, THEATER_MESSENGER);
  auto ids_b = b->StartEchoActors(1, THEATER_MESSENGER);
  std::string m1 = ids_a[0], local = ids_a[1], remote = ids_b[0];
  ActorSystem& sys = (*a)->system();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // membership settles

  auto ask = [&](const std::string& id, const std::string& text) {
    std::string r = Text(sys.Request(id, ToBytes(text)).get());
    if (r.rfind("ERROR", 0) == 0 || r.find("err:") != std::string::npos) bench::Fail(id + ": " + r);
  };
  // Warm up both paths.
  for (int i = 0; i < 50; ++i) {
    ask(m1, "request " + local + " echo x");
    ask(m1, "request " + remote + " echo x");
  }

  // Bare NATS request/reply between two clients of the same server.
  auto responder = cluster::NatsClient::Connect({nats.url, kToken, "bench-responder", nullptr});
  auto requester = cluster::NatsClient::Connect({nats.url, kToken, "bench-requester", nullptr});
  if (!responder.ok() || !requester.ok()) bench::Fail("NATS clients");
  cluster::NatsClient* r = responder->get();
  auto sub = r->Subscribe("bench.echo", [r](cluster::NatsMessage m) { (void)r->Publish(m.reply, m.data); });
  if (!sub.ok()) bench::Fail(sub.error());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Bytes ping = ToBytes("request x echo x");
  for (int i = 0; i < 50; ++i) (void)(*requester)->Request("bench.echo", ping, std::chrono::seconds(2));

  auto [nats_med, nats_p99] = Time(n, [&] {
    auto reply = (*requester)->Request("bench.echo", ping, std::chrono::seconds(2));
    if (reply.error != cluster::NatsClient::RequestError::kNone) bench::Fail("bare NATS: " + reply.why);
  });
  auto [aa_med, aa_p99] = Time(n, [&] { ask(m1, "request " + local + " echo x"); });
  auto [ab_med, ab_p99] = Time(n, [&] { ask(m1, "request " + remote + " echo x"); });
  auto [oa_med, oa_p99] = Time(n, [&] { ask(local, "echo x"); });
  auto [ob_med, ob_p99] = Time(n, [&] { ask(remote, "echo x"); });
  double local_rate = SendRate(sys, local, seconds);
  double remote_rate = SendRate(sys, remote, seconds);

  std::printf("theater_cluster_bench: 2 nodes over nats-server on loopback, %zu round trips each\n", n);
  std::printf("%-44s %10s %10s %12s\n", "", "median µs", "p99 µs", "ratio");
  std::printf("%-44s %10.1f %10.1f %12s\n", "bare NATS request/reply (baseline)", nats_med, nats_p99, "1.00x");
  std::printf("%-44s %10.1f %10.1f %11.2fx\n", "actor -> actor, one node", aa_med, aa_p99, aa_med / nats_med);
  std::printf("%-44s %10.1f %10.1f %11.2fx\n", "actor -> actor, across nodes", ab_med, ab_p99, ab_med / nats_med);
  std::printf("%-44s %10.1f %10.1f %11.2fx\n", "outside -> actor, one node", oa_med, oa_p99, oa_med / nats_med);
  std::printf("%-44s %10.1f %10.1f %11.2fx\n", "outside -> actor, across nodes", ob_med, ob_p99, ob_med / nats_med);
  std::printf("cross-node request costs %.2fx the one-node request (actor to actor), %.2fx (from outside)\n",
              ab_med / aa_med, ob_med / oa_med);
  std::printf("one-way sends/s into an actor: one node %.0f, across nodes %.0f (%.2fx)\n", local_rate, remote_rate,
              remote_rate / local_rate);
  return 0;
}
