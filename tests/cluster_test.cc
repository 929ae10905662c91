// A cluster of real processes: nats-server (Debian's, on loopback, with a token) and three
// `theater server --cluster` nodes, driven through their management ports. What a client
// of any node sees: sends, requests and channels between actors of different nodes,
// request cycles across nodes, cluster-wide list/status/events, causes that verify across
// chains, forged node traffic refused, a node killed under load, NATS restarted, and a
// partition (a NATS server of a routed pair stopped).
#include <gtest/gtest.h>

#include <atomic>
#include <regex>

#include "cluster/nats_client.h"
#include "cluster/sealed_message.h"
#include "nats_server.h"
#include "process_util.h"
#include "server_test_util.h"

namespace theater::testing {
namespace {

constexpr const char* kToken = "cluster-test-token";

class ClusterTest : public ServerTest {
 protected:
  // A node named `name`, joined through `url`.
  std::unique_ptr<TheaterServer> StartNode(const std::string& name, const std::string& url,
                                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--cluster", url, "--node", name, "--node-timeout", "1500", "--workers", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto node = std::make_unique<TheaterServer>(dir_.path() / name, args,
                                                std::vector<std::string>{std::string("THEATER_CLUSTER_TOKEN=") + kToken});
    EXPECT_FALSE(node->address().empty()) << node->LogText();
    return node;
  }
  std::unique_ptr<server::Client> ClientOf(const TheaterServer& node) {
    auto c = server::Client::Connect(node.address());
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // The cluster as `client`'s node sees it: node name -> alive.
  std::map<std::string, bool> Nodes(server::Client& client) {
    std::map<std::string, bool> nodes;
    json info = Expect(client, {{"GetServerInfo", json::object()}}, "ServerInfo");
    for (const auto& n : info["cluster"]["nodes"]) nodes[n["name"]] = n["alive"];
    return nodes;
  }
  // Calls `probe` every 50 ms until `done` holds for what it returned, or `timeout` passes;
  // returns what it returned last.
  template <typename Probe, typename Done>
  static auto Eventually(Probe probe, Done done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto value = probe();
    while (!done(value) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      value = probe();
    }
    return value;
  }
  // Waits until `client`'s node sees `node` as `alive`.
  bool WaitNode(server::Client& client, const std::string& node, bool alive,
                std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto seen = [&](std::map<std::string, bool>& nodes) { return nodes.count(node) && nodes[node] == alive; };
    auto nodes = Eventually([&] { return Nodes(client); }, seen, timeout);
    return seen(nodes);
  }
  // Waits until `client`'s node says its NATS connection is `up` (or not).
  bool WaitConnected(server::Client& client, bool up) {
    auto connected = [&] { return Expect(client, {{"GetServerInfo", json::object()}}, "ServerInfo")["cluster"]["connected"]; };
    return Eventually(connected, [&](const json& c) { return c == up; }) == up;
  }
  std::string Transcript(server::Client& client, const std::string& id) { return Ask(client, id, "transcript"); }

  void SetUp() override {
    nats_port_ = FreePort();
    nats_ = std::make_unique<NatsServer>(nats_port_, kToken, dir_.path() / "nats.log");
    ASSERT_TRUE(nats_->running()) << "nats-server did not start (is Debian's nats-server installed?)";
  }

  uint16_t nats_port_ = 0;
  std::unique_ptr<NatsServer> nats_;
};

TEST_F(ClusterTest, MessagesRequestsAndChannelsCrossNodes) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto c = StartNode("c", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b), cc = ClientOf(*c);
  ASSERT_TRUE(WaitNode(*ca, "b", true) && WaitNode(*ca, "c", true));
  std::string m1 = StartMessenger(*ca), m2 = StartMessenger(*cb);

  // A request from an actor on a to one on b, and a one-way send.
  EXPECT_EQ(Ask(*ca, m1, "request " + m2 + " echo hello"), "ok: hello");
  EXPECT_EQ(Ask(*ca, m1, "send " + m2 + " one-way"), "ok");
  // An outside client of node c asks the actor on b, and reads its state through c.
  EXPECT_EQ(Ask(*cc, m2, "echo via c"), "via c");
  EXPECT_NE(Transcript(*cc, m2).find("one-way"), std::string::npos);

  // A channel between the two nodes: opened from a, used both ways, closed from b.
  std::string opened = Ask(*ca, m1, "open " + m2 + " hi");
  ASSERT_EQ(opened.rfind("ok: ", 0), 0u) << opened;
  std::string channel = opened.substr(4);
  EXPECT_EQ(Ask(*ca, m1, "chan-send " + channel + " from-a"), "ok");
  EXPECT_EQ(Ask(*cb, m2, "chan-send " + channel + " from-b"), "ok");
  EXPECT_EQ(Ask(*cb, m2, "close " + channel), "ok");
  // The close reaches node a as a message: soon after, a has no such channel either.
  std::string late = Eventually([&] { return Ask(*ca, m1, "chan-send " + channel + " late"); },
                                [](const std::string& r) { return r != "ok"; });
  EXPECT_NE(late.find("err: no open channel"), std::string::npos) << late;
  std::string t1 = Transcript(*ca, m1), t2 = Transcript(*ca, m2);
  EXPECT_NE(t2.find("from-a"), std::string::npos) << t2;
  EXPECT_NE(t1.find("from-b"), std::string::npos) << t1;

  // A full mailbox on b refuses as locally; a message too large is refused before it goes.
  EXPECT_NE(Ask(*ca, m1, "big " + m2 + " 2000000").find("err: "), std::string::npos);

  // The cause of m2's turn is m1's event: found through node c, and both chains verify.
  json events = Expect(*cc, {{"GetActorEvents", {{"id", m2}}}}, "ActorEvents");
  std::string cause;
  for (const auto& e : events["events"])
    if (cause.empty() && e["data"].contains("cause") && e["data"]["cause"]["actor"] == m1) cause = e["data"]["cause"]["event"];
  ASSERT_FALSE(cause.empty()) << events.dump();
  json found = Expect(*cc, {{"FindEvent", {{"id", m1}, {"hash", cause}}}}, "EventFound");
  EXPECT_EQ(found["event"]["type"], "theater:simple/message-server-host/request");
  for (const auto& id : {m1, m2}) {
    json verified = Expect(*cc, {{"VerifyActor", {{"id", id}}}}, "ActorVerified");
    EXPECT_TRUE(verified.value("ok", false)) << verified.dump();
  }
}

// A stream of sends to an actor on another node goes on credits (places reserved in
// advance, kCredits at a time): every message arrives, in order, and the places not used
// are given back soon after.
TEST_F(ClusterTest, SendsOnCreditsArriveInOrderAndUnusedCreditsAreGivenBack) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b);
  ASSERT_TRUE(WaitNode(*ca, "b", true));
  std::string m1 = StartMessenger(*ca), m2 = StartMessenger(*cb);
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Ask(*ca, m1, "send " + m2 + " s" + std::to_string(i)), "ok") << i;
    expected += "send:s" + std::to_string(i) + "\n";
  }
  std::string transcript = Eventually([&] { return Transcript(*cb, m2); },
                                      [&](const std::string& t) { return t.size() >= expected.size(); });
  EXPECT_EQ(transcript, expected);
  // While NATS is away, no credit is used (credits are held: the last sends got some): a
  // send fails at once, as without credits.
  EXPECT_EQ(Ask(*ca, m1, "send " + m2 + " s40"), "ok");
  expected += "send:s40\n";
  EXPECT_EQ(Eventually([&] { return Transcript(*cb, m2); }, [&](const std::string& t) { return t == expected; }),
            expected);
  nats_->Stop();
  ASSERT_TRUE(WaitConnected(*ca, false));
  EXPECT_NE(Ask(*ca, m1, "send " + m2 + " lost").find("err: "), std::string::npos);
  nats_->Start();
  ASSERT_TRUE(WaitConnected(*ca, true) && WaitConnected(*cb, true));
  auto credits = [&] { return Expect(*ca, {{"GetServerInfo", json::object()}}, "ServerInfo")["cluster"]["credits"]; };
  EXPECT_EQ(Eventually(credits, [](const json& n) { return n == 0; }, std::chrono::seconds(5)), 0);
  // A send after the credits went back reserves again (once b's subscriptions are back on
  // the restarted NATS server).
  EXPECT_EQ(Eventually([&] { return Ask(*ca, m1, "send " + m2 + " later"); },
                       [](const std::string& r) { return r == "ok"; }),
            "ok");
  EXPECT_EQ(Eventually([&] { return Transcript(*cb, m2); },
                       [&](const std::string& t) { return t.size() > expected.size(); }),
            expected + "send:later\n");
}

TEST_F(ClusterTest, RequestCycleAcrossThreeNodesIsRefused) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto c = StartNode("c", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b), cc = ClientOf(*c);
  std::string m1 = StartMessenger(*ca), m2 = StartMessenger(*cb), m3 = StartMessenger(*cc);
  // m1 -> m2 -> m3 -> m1: m3's request is refused, naming the cycle, instead of three
  // actors waiting on each other until they time out.
  std::string answer = Ask(*ca, m1, "request " + m2 + " request " + m3 + " request " + m1 + " echo x");
  EXPECT_NE(answer.find("request cycle: " + m3 + " -> " + m1 + " -> " + m2 + " -> " + m3), std::string::npos) << answer;
}

TEST_F(ClusterTest, ListStatusAndControlFromAnyNode) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b);
  ASSERT_TRUE(WaitNode(*ca, "b", true));
  ASSERT_TRUE(WaitNode(*cb, "a", true));
  std::string m1 = StartMessenger(*ca), m2 = StartMessenger(*cb);
  json list = Expect(*cb, {{"ListActors", json::object()}}, "ActorList");
  std::map<std::string, std::string> node_of;
  for (const auto& actor : list["actors"]) node_of[actor["id"]] = actor["node"];
  EXPECT_EQ(node_of[m1], "a");
  EXPECT_EQ(node_of[m2], "b");
  EXPECT_EQ(Expect(*cb, {{"GetActorStatus", {{"id", m1}}}}, "ActorStatus")["status"], "running");
  EXPECT_EQ(Expect(*cb, {{"GetActorManifest", {{"id", m1}}}}, "ActorManifest")["name"], "messenger");
  json inspected = Expect(*cb, {{"InspectActor", {{"id", m1}}}}, "ActorInspection");
  EXPECT_EQ(inspected["id"], m1);
  EXPECT_TRUE(inspected["state"].is_null() || inspected["state"].is_array()) << inspected["state"].dump();
  Expect(*cb, {{"StopActor", {{"id", m1}}}}, "ActorStopped");
  EXPECT_EQ(Expect(*ca, {{"GetActorStatus", {{"id", m1}}}}, "ActorStatus")["status"], "stopped");
  EXPECT_EQ(ErrorKind(*cb, {{"GetActorStatus", {{"id", "00000000-0000-4000-8000-000000000000"}}}}), "ActorNotFound");
  EXPECT_EQ(ErrorKind(*cb, {{"GetActorStatus", {{"id", "theater.actor.>"}}}}), "ActorNotFound");
  // The CLI's list shows each actor's node.
  auto out = RunShell("'" + std::string(THEATER_BINARY) + "' list --server " + b->address());
  EXPECT_NE(out.out.find("NODE"), std::string::npos) << out.out;
}

TEST_F(ClusterTest, TrafficNotSealedByTheClusterIsRefused) {
  auto a = StartNode("a", nats_->url());
  auto ca = ClientOf(*a);
  std::string m1 = StartMessenger(*ca);
  // A client of the same NATS server (it has the NATS token) but not the cluster's secret.
  auto intruder = cluster::NatsClient::Connect({nats_->url(), kToken, "intruder", nullptr});
  ASSERT_TRUE(intruder.ok()) << intruder.error();
  cluster::MessageSeal wrong("not-the-cluster-token");
  std::string subject = "theater.actor." + m1;
  auto reply = (*intruder)->Request(subject, wrong.Seal(subject, {{"t", "reserve"}, {"to", m1}, {"n", 1}}),
                                    std::chrono::milliseconds(500));
  EXPECT_EQ(reply.error, cluster::NatsClient::RequestError::kTimeout);
  // Bytes that are not even sealed, and a commit straight to the node.
  ASSERT_TRUE((*intruder)->Publish("theater.node.a", ToBytes("{\"t\":\"commit\"}")).ok());
  // A message sealed right but for another subject is refused too.
  cluster::MessageSeal right(kToken);
  ASSERT_TRUE((*intruder)->Publish("theater.node.a", right.Seal("theater.node.b", {{"t", "release"}, {"r", "x"}})).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  json info = Expect(*ca, {{"GetServerInfo", json::object()}}, "ServerInfo");
  EXPECT_GE(info["cluster"]["refused"].get<int>(), 3);
  EXPECT_EQ(Transcript(*ca, m1), "");
  // Without the NATS token, no connection at all.
  auto outsider = cluster::NatsClient::Connect({nats_->url(), "wrong", "outsider", nullptr});
  EXPECT_TRUE(!outsider.ok() || !(*outsider)->connected());
  // A second node with a name already taken is refused.
  TheaterServer twin(dir_.path() / "twin", {"--cluster", nats_->url(), "--node", "a"},
                     {std::string("THEATER_CLUSTER_TOKEN=") + kToken});
  EXPECT_TRUE(twin.address().empty());
  EXPECT_NE(twin.LogText().find("is taken"), std::string::npos) << twin.LogText();
}

// libnats calls the disconnected and closed callbacks on its own thread, after
// natsConnection_Close returns; a client freed before them crashed the process (a second
// node with a taken name died with SIGSEGV one time in four). Each client here also has a
// subscription whose handler is busy when the client goes.
TEST_F(ClusterTest, NoCallbackComesAfterTheClientIsGone) {
  int late = 0;
  for (int i = 0; i < 40; ++i) {
    auto connection_calls = std::make_shared<std::atomic<int>>(0);
    auto messages = std::make_shared<std::atomic<int>>(0);
    auto client = cluster::NatsClient::Connect(
        {nats_->url(), kToken, "short-lived", [connection_calls](bool) { ++*connection_calls; }});
    ASSERT_TRUE(client.ok()) << client.error();
    auto sub = (*client)->Subscribe("short.lived", [messages](cluster::NatsMessage) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++*messages;
    });
    ASSERT_TRUE(sub.ok()) << sub.error();
    for (int m = 0; m < 5; ++m) ASSERT_TRUE((*client)->Publish("short.lived", ToBytes("x")).ok());
    sub->reset();
    client->reset();
    int at_close = connection_calls->load();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (connection_calls->load() != at_close) ++late;
  }
  EXPECT_EQ(late, 0) << "connection callbacks came after the client was destroyed";
}

TEST_F(ClusterTest, NodeKilledUnderLoadIsLostAndNothingAcknowledgedIsLost) {
  auto a = StartNode("a", nats_->url(), {"--timeout", "30000"});
  auto b = StartNode("b", nats_->url());
  auto c = StartNode("c", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b), cc = ClientOf(*c);
  ASSERT_TRUE(WaitNode(*ca, "b", true) && WaitNode(*ca, "c", true));
  std::string waiter = StartMessenger(*ca), doomed = StartMessenger(*cb), survivor = StartMessenger(*cc);

  // The waiter's request sits parked on node b when b dies: it ends with node-lost, long
  // before its 30 s timeout.
  std::promise<std::string> parked;
  std::thread asker([&] {
    auto client = ClientOf(*a);
    parked.set_value(Ask(*client, waiter, "request " + doomed + " park"));
  });
  // Load: durable sends from node a's client to the survivor (on c) and the doomed (on b).
  std::atomic<bool> stop{false};
  std::vector<int> acknowledged;
  std::thread load([&] {
    auto client = ClientOf(*a);
    for (int i = 0; !stop.load(); ++i) {
      json r = Call(*client, {{"SendActorMessage", {{"id", survivor}, {"data", "m" + std::to_string(i)}, {"durable", true}}}});
      if (r.contains("SentMessage")) acknowledged.push_back(i);
      Call(*client, {{"SendActorMessage", {{"id", doomed}, {"data", "x"}}}});
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto killed_at = std::chrono::steady_clock::now();
  b->process().Kill();
  auto answer = parked.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(15)), std::future_status::ready);
  auto lost_after = std::chrono::steady_clock::now() - killed_at;
  asker.join();
  EXPECT_NE(answer.get().find("node-lost: node b"), std::string::npos);
  EXPECT_LT(lost_after, std::chrono::seconds(6));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  load.join();
  EXPECT_TRUE(WaitNode(*cc, "b", false));
  EXPECT_EQ(Nodes(*ca)["b"], false);
  // Every acknowledged message is in the survivor's chain (its transcript, one per line).
  ASSERT_GT(acknowledged.size(), 10u);
  std::string transcript = Transcript(*cc, survivor);
  for (int i : acknowledged) EXPECT_NE(transcript.find("m" + std::to_string(i) + "\n"), std::string::npos) << i;
  // The doomed actor is gone with its node; the survivors' chains verify.
  EXPECT_EQ(ErrorKind(*ca, {{"GetActorStatus", {{"id", doomed}}}}), "ActorNotFound");
  for (const auto& id : {waiter, survivor}) {
    json verified = Expect(*ca, {{"VerifyActor", {{"id", id}}}}, "ActorVerified");
    EXPECT_TRUE(verified.value("ok", false)) << verified.dump();
  }
}

TEST_F(ClusterTest, NodesReconnectAfterNatsRestarts) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b);
  ASSERT_TRUE(WaitNode(*ca, "b", true));
  std::string m1 = StartMessenger(*ca), m2 = StartMessenger(*cb);
  EXPECT_EQ(Ask(*ca, m1, "request " + m2 + " echo before"), "ok: before");
  // A request that times out here is not waited for by the cluster any longer.
  json timed_out = Call(*ca, {{"RequestActorMessage", {{"id", m2}, {"data", "park"}, {"timeout_ms", 300}}}});
  EXPECT_TRUE(timed_out.contains("Error")) << timed_out.dump();
  json info = Eventually([&] { return Expect(*ca, {{"GetServerInfo", json::object()}}, "ServerInfo"); },
                         [](const json& i) { return i["cluster"]["waiting"] == 0; });
  EXPECT_EQ(info["cluster"]["waiting"], 0) << info.dump();
  nats_->Stop();
  // While NATS is away: a clear error, and neither node judges the other lost.
  ASSERT_TRUE(WaitConnected(*ca, false));
  EXPECT_NE(Ask(*ca, m1, "request " + m2 + " echo during").find("err: "), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_TRUE(Nodes(*ca)["b"]);
  nats_->Start();
  ASSERT_TRUE(nats_->running());
  std::string after = Eventually([&] { return Ask(*ca, m1, "request " + m2 + " echo after"); },
                                 [](const std::string& r) { return r == "ok: after"; }, std::chrono::seconds(15));
  EXPECT_EQ(after, "ok: after");
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_TRUE(Nodes(*ca)["b"]);
  EXPECT_EQ(a->LogText().find("node-lost"), std::string::npos) << a->LogText();
}

TEST_F(ClusterTest, PartitionedNodeIsLostThenComesBack) {
  // Two routed NATS servers: node a on the first, node b on the second. Stopping the
  // second cuts b off: a sees it lost; b, which cannot reach NATS, judges nobody.
  uint16_t p2 = FreePort(), r1 = FreePort(), r2 = FreePort();
  nats_.reset();
  NatsServer n1(nats_port_, kToken, dir_.path() / "nats1.log", r1, r2);
  NatsServer n2(p2, kToken, dir_.path() / "nats2.log", r2, r1);
  ASSERT_TRUE(n1.running() && n2.running());
  auto a = StartNode("a", n1.url());
  auto b = StartNode("b", n2.url());
  auto ca = ClientOf(*a), cb = ClientOf(*b);
  ASSERT_TRUE(WaitNode(*ca, "b", true)) << a->LogText();
  std::string m1 = StartMessenger(*ca), m2 = StartMessenger(*cb);
  EXPECT_EQ(Ask(*ca, m1, "request " + m2 + " echo routed"), "ok: routed");
  n2.Stop();
  EXPECT_TRUE(WaitNode(*ca, "b", false));
  EXPECT_NE(Ask(*ca, m1, "request " + m2 + " echo cut").find("err: "), std::string::npos);
  EXPECT_TRUE(Nodes(*cb)["a"]) << "a node cut off from NATS judged another lost";
  n2.Start();
  EXPECT_TRUE(WaitNode(*ca, "b", true));
  std::string after = Eventually([&] { return Ask(*ca, m1, "request " + m2 + " echo healed"); },
                                 [](const std::string& r) { return r == "ok: healed"; });
  EXPECT_EQ(after, "ok: healed");
}


TEST_F(ClusterTest, SupervisorOnOneNodeWithChildrenOnAnother) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto ca = ClientOf(*a), cb = ClientOf(*b);
  ASSERT_TRUE(WaitNode(*ca, "b", true) && WaitNode(*cb, "a", true));
  std::filesystem::path dir = dir_.path() / "tree";
  std::filesystem::create_directories(dir);
  std::string messenger = LocalGuest(dir, "messenger.wasm").string();
  WriteText(dir / "child.toml", "name = \"child\"\nversion = \"1\"\nnode = \"b\"\ncomponent = \"" + messenger +
                                    "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
  WriteText(dir / "boss.toml", "name = \"boss\"\nversion = \"1\"\ncomponent = \"" + LocalGuest(dir, "boss.wasm").string() +
                                   "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                                   "[[handler]]\ntype = \"supervisor\"\nmax_restarts = 5\n");
  std::string boss = Expect(*ca, {{"StartActor", {{"manifest", (dir / "boss.toml").string()}}}}, "ActorStarted")["id"];

  // The child runs on b, as its manifest asks; the boss on a sees it as its child.
  std::string spawned = Ask(*ca, boss, "spawn child.toml");
  ASSERT_EQ(spawned.rfind("ok: ", 0), 0u) << spawned << a->LogText() << b->LogText();
  std::string child = spawned.substr(4);
  EXPECT_EQ(Ask(*ca, boss, "children"), child);
  json list = Expect(*ca, {{"ListActors", json::object()}}, "ActorList");
  for (const auto& actor : list["actors"])
    if (actor["id"] == child) {
      EXPECT_EQ(actor["node"], "b");
      EXPECT_EQ(actor["parent"], boss);
    }
  EXPECT_EQ(Ask(*ca, boss, "tell " + child + " echo across"), "ok: across");
  EXPECT_EQ(Ask(*cb, child, "set kept"), "ok");
  EXPECT_EQ(Ask(*ca, boss, "state " + child), "ok: kept");

  // It fails on b: the boss on a hears it, and its policy restarts it on b.
  Ask(*cb, child, "fail");
  auto status_of = [&](const std::string& id) { return Expect(*cb, {{"GetActorStatus", {{"id", id}}}}, "ActorStatus"); };
  json status = Eventually([&] { return status_of(child); },
                           [](const json& s) { return s["restarts"] == 1 && s["status"] == "running"; });
  EXPECT_EQ(status["restarts"], 1) << status.dump();
  EXPECT_NE(Ask(*ca, boss, "transcript").find("error " + child), std::string::npos);

  // The boss stops it: it stops on b, and leaves the boss's children.
  EXPECT_EQ(Ask(*ca, boss, "stop " + child), "ok");
  EXPECT_EQ(Eventually([&] { return status_of(child); }, [](const json& s) { return s["status"] == "stopped"; })["status"],
            "stopped");

  // Another child on b, then b dies: the boss hears node-lost within the node timeout.
  std::string second = Ask(*ca, boss, "spawn child.toml").substr(4);
  b->process().Kill();
  std::string transcript = Eventually([&] { return Ask(*ca, boss, "transcript"); },
                                      [&](const std::string& t) { return t.find("error " + second) != std::string::npos; });
  EXPECT_NE(transcript.find("error " + second), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("node-lost"), std::string::npos) << transcript;
  EXPECT_EQ(Ask(*ca, boss, "children"), "");
  // The boss itself is unharmed.
  EXPECT_EQ(Expect(*ca, {{"GetActorStatus", {{"id", boss}}}}, "ActorStatus")["status"], "running");
}

TEST_F(ClusterTest, StartOnAnotherNodeFromTheCli) {
  auto a = StartNode("a", nats_->url());
  auto b = StartNode("b", nats_->url());
  auto ca = ClientOf(*a);
  ASSERT_TRUE(WaitNode(*ca, "b", true));
  std::filesystem::path manifest = dir_.path() / "m.toml";
  WriteText(manifest, MessengerManifest());
  auto started = RunShell("'" + std::string(THEATER_BINARY) + "' start --server " + a->address() + " --node b " +
                          manifest.string() + " 2>&1");
  ASSERT_EQ(started.exit_code, 0) << started.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(started.out, m, std::regex("[0-9a-f-]{36}"))) << started.out;
  std::string id = m[0];
  json list = Expect(*ca, {{"ListActors", json::object()}}, "ActorList");
  std::string node;
  for (const auto& actor : list["actors"])
    if (actor["id"] == id) node = actor["node"];
  EXPECT_EQ(node, "b");
  auto unknown = RunShell("'" + std::string(THEATER_BINARY) + "' start --server " + a->address() + " --node nowhere " +
                          manifest.string() + " 2>&1");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("node `nowhere` is not in the cluster"), std::string::npos) << unknown.out;
}

}  // namespace
}  // namespace theater::testing
