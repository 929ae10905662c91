// Every command of the management protocol, end to end through a real socket.
#include <gtest/gtest.h>

#include "chain/chain_file.h"
#include "server_test_util.h"

namespace theater {
namespace {

using testing::Example;
using testing::MessengerManifest;
using testing::ServerTest;
using server::json;

TEST_F(ServerTest, StartsAnActorAndReadsItsStatusStateManifestAndList) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  ASSERT_EQ(id.size(), 36u);

  EXPECT_EQ(Ask(*client, id, "set hello world"), "ok");
  json status = Expect(*client, {{"GetActorStatus", {{"id", id}}}}, "ActorStatus");
  EXPECT_EQ(status["status"], "running");
  json state = Expect(*client, {{"GetActorState", {{"id", id}}}}, "ActorState");
  EXPECT_EQ(AsText(state["state"]), "hello world");

  json list = Expect(*client, "ListActors", "ActorList");
  ASSERT_EQ(list["actors"].size(), 1u);
  EXPECT_EQ(list["actors"][0]["id"], id);
  EXPECT_EQ(list["actors"][0]["name"], "messenger");

  // From a path: the manifest's text comes back.
  std::string kv_path = std::filesystem::absolute(Example("kv-cpp/manifest.toml")).string();
  json kv = Expect(*client, {{"StartActor", {{"manifest", kv_path}, {"initial_state", nullptr}}}}, "ActorStarted");
  json manifest = Expect(*client, {{"GetActorManifest", {{"id", kv["id"]}}}}, "ActorManifest");
  EXPECT_EQ(manifest["path"], kv_path);
  EXPECT_NE(manifest["manifest"].get<std::string>().find("name = \"kv-cpp\""), std::string::npos);
  EXPECT_EQ(Expect(*client, "ListActors", "ActorList")["actors"].size(), 2u);
}

TEST_F(ServerTest, StartActorRefusesBadManifestsWithTheReason) {
  StartServer();
  auto client = Connect();
  json r = Call(*client, {{"StartActor", {{"manifest", "examples/kv-cpp/manifest.toml"}}}});
  ASSERT_TRUE(r.contains("Error"));
  EXPECT_NE(r["Error"]["message"].get<std::string>().find("absolute path"), std::string::npos);
  r = Call(*client, {{"StartActor", {{"manifest", "/nonexistent/manifest.toml"}}}});
  ASSERT_TRUE(r.contains("Error"));
  EXPECT_NE(r["Error"]["message"].get<std::string>().find("/nonexistent/manifest.toml"), std::string::npos);
  r = Call(*client, {{"StartActor", {{"manifest", "name = \"x\"\nversion = \"1\"\n"}}}});
  ASSERT_TRUE(r.contains("Error"));
  EXPECT_NE(r["Error"]["message"].get<std::string>().find("component"), std::string::npos);
  EXPECT_EQ(ErrorKind(*client, {{"GetActorStatus", {{"id", "no-such-actor"}}}}), "ActorNotFound");
}

TEST_F(ServerTest, InitialStateIsGivenAsBytesOrText) {
  StartServer();
  auto client = Connect();
  json a = Expect(*client, {{"StartActor", {{"manifest", MessengerManifest()}, {"initial_state", "from text"}}}}, "ActorStarted");
  EXPECT_EQ(Ask(*client, a["id"], "transcript"), "from text");
  json b = Expect(*client, {{"StartActor", {{"manifest", MessengerManifest()}, {"initial_state", {104, 105}}}}}, "ActorStarted");
  EXPECT_EQ(Ask(*client, b["id"], "transcript"), "hi");
}

TEST_F(ServerTest, StopAndTerminateAnswerWhenTheActorHasFinished) {
  StartServer();
  auto client = Connect();
  std::string a = StartMessenger(*client);
  Expect(*client, {{"StopActor", {{"id", a}}}}, "ActorStopped");
  EXPECT_EQ(Expect(*client, {{"GetActorStatus", {{"id", a}}}}, "ActorStatus")["status"], "stopped");
  EXPECT_EQ(Ask(*client, a, "echo x").rfind("ERROR: RequestFailed", 0), 0u);

  // An actor stuck in a call is terminated from another connection; the caller hears why.
  std::string b = StartMessenger(*client);
  std::thread spinner([&] {
    auto other = Connect();
    EXPECT_EQ(Ask(*other, b, "spin").rfind("ERROR: RequestFailed", 0), 0u);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Expect(*client, {{"TerminateActor", {{"id", b}}}}, "ActorTerminated");
  spinner.join();
  EXPECT_EQ(ErrorKind(*client, {{"StopActor", {{"id", "nobody"}}}}), "ActorNotFound");
}

TEST_F(ServerTest, SendAndRequest) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  Expect(*client, {{"SendActorMessage", {{"id", id}, {"data", "one-way"}}}}, "SentMessage");
  EXPECT_EQ(Ask(*client, id, "echo round trip"), "round trip");
  EXPECT_NE(Ask(*client, id, "transcript").find("send:one-way"), std::string::npos);
  // A parked request times out with the timeout the client gave.
  json r = Call(*client, {{"RequestActorMessage", {{"id", id}, {"data", "park"}, {"timeout_ms", 200}}}});
  ASSERT_TRUE(r.contains("Error")) << r.dump();
  EXPECT_EQ(r["Error"]["kind"], "RequestFailed");
  EXPECT_NE(r["Error"]["message"].get<std::string>().find("timed out"), std::string::npos) << r.dump();
  EXPECT_EQ(ErrorKind(*client, {{"SendActorMessage", {{"id", "nobody"}, {"data", "x"}}}}), "ActorNotFound");
}

// A connection that asks for base64 gets every byte string in it so; its answers to large
// pipelined requests come back whole and in order, whether a worker wrote one straight to
// the socket or the socket was full and it waited in the queue.
TEST_F(ServerTest, BytesAsBase64AndLargeAnswersInOrder) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  EXPECT_EQ(Expect(*client, {{"SetBytesEncoding", {{"encoding", "base64"}}}}, "BytesEncoding")["encoding"], "base64");
  json answer = Expect(*client, {{"RequestActorMessage", {{"id", id}, {"data", {{"base64", "ZWNobyBoaQ=="}}}}}},
                       "RequestedMessage");
  EXPECT_EQ(answer["message"], (json{{"base64", "aGk="}})) << answer.dump();  // "echo hi" -> "hi"

  constexpr int kRequests = 12;
  auto text = [](int i) { return std::string(900 << 10, static_cast<char>('a' + i)); };
  for (int i = 0; i < kRequests; ++i) {
    server::Command c;
    c.kind = server::CommandKind::kRequestActorMessage;
    c.id = id;
    c.data = ToBytes("echo " + text(i));
    ASSERT_TRUE(client->SendRaw(server::EncodeFrame(server::CommandToJson(c).dump())).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // answers pile up unread
  for (int i = 0; i < kRequests; ++i) {
    auto m = client->ReadMessage(std::chrono::seconds(10));
    ASSERT_TRUE(m.ok() && *m) << i;
    ASSERT_TRUE((*m)->contains("RequestedMessage")) << (*m)->dump().substr(0, 300);
    auto bytes = server::BytesFromJson((**m)["RequestedMessage"]["message"]);
    ASSERT_TRUE(bytes.ok()) << bytes.error();
    EXPECT_TRUE(*bytes == ToBytes(text(i))) << "answer " << i << " is not its request's";
  }
  // And back to arrays.
  Expect(*client, {{"SetBytesEncoding", {{"encoding", "array"}}}}, "BytesEncoding");
  EXPECT_EQ(Ask(*client, id, "echo hi"), "hi");
}

TEST_F(ServerTest, EventsAreTheChainWithHashesAClientCanCheck) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  Ask(*client, id, "echo a");
  json all = Expect(*client, {{"GetActorEvents", {{"id", id}}}}, "ActorEvents");
  ASSERT_GE(all["events"].size(), 5u);
  EXPECT_EQ(all["total"], all["events"].size());
  EXPECT_EQ(all["events"][0]["type"], "theater/actor-started");
  EXPECT_EQ(all["events"][0]["parent"], nullptr);
  for (size_t i = 1; i < all["events"].size(); ++i) {
    EXPECT_EQ(all["events"][i]["seq"], i);
    EXPECT_EQ(all["events"][i]["parent"], all["events"][i - 1]["hash"]);
  }
  // The hash is SHA-256 of the canonical encoding, rebuilt from the fields given.
  const json& e = all["events"][2];
  ChainEvent rebuilt;
  rebuilt.seq = e["seq"];
  Bytes parent = *FromHex(e["parent"].get<std::string>());
  Hash parent_hash{};
  std::copy(parent.begin(), parent.end(), parent_hash.begin());
  rebuilt.parent = parent_hash;
  rebuilt.timestamp_ms = e["timestamp_ms"];
  rebuilt.type = e["type"];
  rebuilt.data = *FromHex(e["data_cbor"].get<std::string>());
  EXPECT_EQ(ToHex(Sha256(CanonicalEncoding(rebuilt))), e["hash"]);

  json page = Expect(*client, {{"GetActorEvents", {{"id", id}, {"from", 2}, {"limit", 2}}}}, "ActorEvents");
  ASSERT_EQ(page["events"].size(), 2u);
  EXPECT_EQ(page["events"][0]["seq"], 2);
}

TEST_F(ServerTest, ASubscriptionSendsTheChainSoFarThenEveryNewEventWithoutGaps) {
  StartServer();
  auto client = Connect();
  auto watcher = Connect();
  std::string id = StartMessenger(*client);
  Ask(*client, id, "echo before");
  json sub = Expect(*watcher, {{"SubscribeToActor", {{"id", id}, {"from", 0}}}}, "Subscribed");
  std::string sid = sub["subscription_id"];
  for (int i = 0; i < 20; ++i) Ask(*client, id, "echo " + std::to_string(i));
  size_t total = Expect(*client, {{"GetActorEvents", {{"id", id}}}}, "ActorEvents")["total"];
  for (size_t seq = 0; seq < total; ++seq) {
    json e = WaitFor(*watcher, "ActorEvent");
    ASSERT_FALSE(e.is_null()) << "missing event " << seq;
    EXPECT_EQ(e["subscription_id"], sid);
    ASSERT_EQ(e["event"]["seq"], seq);
  }
  Expect(*watcher, {{"UnsubscribeFromActor", {{"id", id}, {"subscription_id", sid}}}}, "Unsubscribed");
  Ask(*client, id, "echo after");
  EXPECT_TRUE(WaitFor(*watcher, "ActorEvent", std::chrono::milliseconds(300)).is_null());
  EXPECT_EQ(ErrorKind(*watcher, {{"UnsubscribeFromActor", {{"id", id}, {"subscription_id", sid}}}}),
            "SubscriptionNotFound");
  EXPECT_EQ(ErrorKind(*watcher, {{"SubscribeToActor", {{"id", "nobody"}}}}), "ActorNotFound");
}

TEST_F(ServerTest, StartActorCanSubscribeFromTheFirstEventAndHearHowTheActorEnds) {
  StartServer();
  auto client = Connect();
  json started = Expect(*client, {{"StartActor", {{"manifest", MessengerManifest()}, {"subscribe", true}, {"parent", true}}}},
                        "ActorStarted");
  std::string id = started["id"];
  ASSERT_TRUE(started.contains("subscription_id"));
  json first = WaitFor(*client, "ActorEvent");
  EXPECT_EQ(first["event"]["seq"], 0);
  EXPECT_EQ(first["event"]["type"], "theater/actor-started");
  EXPECT_EQ(Ask(*client, id, "trap").rfind("ERROR: RequestFailed", 0), 0u);
  json error = WaitFor(*client, "ActorError");
  ASSERT_FALSE(error.is_null());
  EXPECT_EQ(error["id"], id);
  EXPECT_EQ(error["error"]["kind"], "trap");
}

TEST_F(ServerTest, AClientTakesPartInAChannel) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  json opened = Expect(*client, {{"OpenChannel", {{"actor_id", id}, {"initial_message", "welcome"}}}}, "ChannelOpened");
  std::string channel = opened["channel_id"];
  EXPECT_EQ(opened["actor_id"], id);
  json welcome = WaitFor(*client, "ChannelMessage");
  EXPECT_EQ(AsText(welcome["message"]), "hello from the other side");

  Expect(*client, {{"SendOnChannel", {{"channel_id", channel}, {"message", "from the client"}}}}, "MessageSent");
  auto other = Connect();
  EXPECT_EQ(Ask(*other, id, "chan-send " + channel + " from the actor"), "ok");
  json said = WaitFor(*client, "ChannelMessage");
  EXPECT_EQ(AsText(said["message"]), "from the actor");
  EXPECT_EQ(said["channel_id"], channel);
  EXPECT_NE(Ask(*other, id, "transcript").find("chan:" + channel + ":from the client"), std::string::npos);

  // Any client may close it by its id; the actor is told.
  Expect(*other, {{"CloseChannel", {{"channel_id", channel}}}}, "ChannelClosed");
  EXPECT_NE(Ask(*other, id, "transcript").find("close:" + channel), std::string::npos);
  EXPECT_EQ(ErrorKind(*client, {{"SendOnChannel", {{"channel_id", channel}, {"message", "late"}}}}), "ChannelError");

  // A rejected open is an error; a client that goes leaves its channels.
  EXPECT_EQ(ErrorKind(*client, {{"OpenChannel", {{"actor_id", id}, {"initial_message", "reject"}}}}), "ChannelError");
  std::string second;
  {
    auto leaving = Connect();
    second = Expect(*leaving, {{"OpenChannel", {{"actor_id", id}, {"initial_message", "hi"}}}}, "ChannelOpened")["channel_id"];
  }
  for (int i = 0; i < 200 && Ask(*other, id, "transcript").find("close:" + second) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(Ask(*other, id, "transcript").find("close:" + second), std::string::npos);
}

TEST_F(ServerTest, AnActorThatClosesTheChannelTellsTheClient) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  std::string channel = Expect(*client, {{"OpenChannel", {{"actor_id", id}}}}, "ChannelOpened")["channel_id"];
  auto other = Connect();
  EXPECT_EQ(Ask(*other, id, "close " + channel), "ok");
  json closed = WaitFor(*client, "ChannelClosed");
  EXPECT_EQ(closed["channel_id"], channel);
  EXPECT_EQ(closed["by"], "actor");
}

TEST_F(ServerTest, RestartGivesAFreshInstanceWithTheSameIdAndChain) {
  StartServer();
  auto client = Connect();
  json started = Expect(*client, {{"StartActor", {{"manifest", MessengerManifest()}, {"initial_state", "initial"}}}}, "ActorStarted");
  std::string id = started["id"];
  Ask(*client, id, "set changed");
  json restarted = Expect(*client, {{"RestartActor", {{"id", id}}}}, "ActorRestarted");
  EXPECT_EQ(restarted["restarts"], 1);
  EXPECT_EQ(restarted["status"], "running");
  EXPECT_EQ(Ask(*client, id, "transcript"), "initial");
  json events = Expect(*client, {{"GetActorEvents", {{"id", id}}}}, "ActorEvents");
  bool recorded = false;
  for (const json& e : events["events"]) recorded |= e["type"] == "theater/actor-restarted";
  EXPECT_TRUE(recorded);
}

TEST_F(ServerTest, InspectAndServerInfo) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  Ask(*client, id, "set s");
  json inspect = Expect(*client, {{"InspectActor", {{"id", id}}}}, "ActorInspection");
  EXPECT_EQ(inspect["status"], "running");
  EXPECT_EQ(inspect["restarts"], 0);
  EXPECT_EQ(AsText(inspect["state"]), "s");
  EXPECT_FALSE(inspect["last_events"].empty());
  EXPECT_EQ(inspect["children"].size(), 0u);
  EXPECT_TRUE(std::filesystem::exists(inspect["chain"].get<std::string>()));

  json info = Expect(*client, "GetServerInfo", "ServerInfo");
  EXPECT_NE(info["version"].get<std::string>().find("theater"), std::string::npos);
  EXPECT_EQ(info["actors"], 1);
  EXPECT_GE(info["connections"], 1);
  EXPECT_EQ(info["listen"], Address());
}

TEST_F(ServerTest, ChainsWrittenByTheServerVerify) {
  StartServer();
  std::string id;
  {
    auto client = Connect();
    id = StartMessenger(*client);
    for (int i = 0; i < 10; ++i) Ask(*client, id, "echo " + std::to_string(i));
  }
  StopServer();
  VerifyReport report = VerifyChainFile(dir_.path() / "chains" / (id + ".chain"));
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_GE(report.events, 20u);
}

TEST_F(ServerTest, AStoppedActorCanBeRestarted) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  Expect(*client, {{"StopActor", {{"id", id}}}}, "ActorStopped");
  json restarted = Expect(*client, {{"RestartActor", {{"id", id}}}}, "ActorRestarted");
  EXPECT_EQ(restarted["status"], "running");
  EXPECT_EQ(Ask(*client, id, "echo back"), "back");
  EXPECT_EQ(Expect(*client, {{"GetActorStatus", {{"id", id}}}}, "ActorStatus")["status"], "running");
}

TEST_F(ServerTest, AParentAlwaysHearsHowItsActorEndedEvenWhenItEndsAtOnce) {
  StartServer();
  auto client = Connect();
  std::string manifest = std::filesystem::absolute(testing::Fixture("trap.toml")).string();
  for (int i = 0; i < 10; ++i) {
    for (bool subscribe : {true, false}) {
      json started = Expect(*client, {{"StartActor", {{"manifest", manifest}, {"parent", true}, {"subscribe", subscribe}}}},
                            "ActorStarted");
      json error = WaitFor(*client, "ActorError");
      ASSERT_FALSE(error.is_null()) << "run " << i << (subscribe ? " with" : " without") << " subscribe";
      EXPECT_EQ(error["id"], started["id"]);
      EXPECT_EQ(error["error"]["kind"], "trap");
    }
  }
}

TEST_F(ServerTest, AChannelClosedByAnotherClientIsNewsToItsOpener) {
  StartServer();
  auto opener = Connect();
  std::string id = StartMessenger(*opener);
  std::string channel = Expect(*opener, {{"OpenChannel", {{"actor_id", id}}}}, "ChannelOpened")["channel_id"];
  auto other = Connect();
  Expect(*other, {{"CloseChannel", {{"channel_id", channel}}}}, "ChannelClosed");
  json closed = WaitFor(*opener, "ChannelClosed");
  EXPECT_EQ(closed["channel_id"], channel);
  EXPECT_EQ(closed["by"], "another client");
}

TEST_F(ServerTest, RequestsNameAMissingActorAndRefuseAbsurdTimeouts) {
  StartServer();
  auto client = Connect();
  EXPECT_EQ(ErrorKind(*client, {{"RequestActorMessage", {{"id", "nobody"}, {"data", "x"}}}}), "ActorNotFound");
  std::string id = StartMessenger(*client);
  EXPECT_EQ(ErrorKind(*client, {{"RequestActorMessage", {{"id", id}, {"data", "echo"}, {"timeout_ms", 9223372036854775807ull}}}}),
            "InvalidCommand");
}

TEST_F(ServerTest, AHistoryLargerThanTheStreamBudgetIsCutAndTheSubscriberTold) {
  StartServer([](server::ServerOptions& o) { o.stream_buffer_bytes = 32 << 10; });
  auto client = Connect();
  std::string id = StartMessenger(*client);
  for (int i = 0; i < 100; ++i) Ask(*client, id, "echo " + std::string(500, 'h'));
  auto late = Connect();
  Expect(*late, {{"SubscribeToActor", {{"id", id}, {"from", 0}}}}, "Subscribed");
  size_t events = 0;
  json lagged;
  for (;;) {
    auto m = late->ReadMessage(std::chrono::seconds(5));
    ASSERT_TRUE(m.ok() && *m);
    if ((**m).contains("ActorEvent")) ++events;
    if ((**m).contains("SubscriptionLagged")) {
      lagged = (**m)["SubscriptionLagged"];
      break;
    }
  }
  size_t total = Expect(*client, {{"GetActorEvents", {{"id", id}}}}, "ActorEvents")["total"];
  EXPECT_GT(events, 0u);
  EXPECT_EQ(events + lagged["dropped"].get<size_t>(), total);
}

TEST_F(ServerTest, InlineManifestsAreKeptInTheDataDirectory) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  json manifest = Expect(*client, {{"GetActorManifest", {{"id", id}}}}, "ActorManifest");
  EXPECT_EQ(manifest["manifest"], MessengerManifest());
  EXPECT_EQ(std::filesystem::path(manifest["path"].get<std::string>()).parent_path(), dir_.path() / "manifests");
  json r = Call(*client, {{"StartActor", {{"manifest", "name = \"x\"\nversion = \"1\"\ncomponent = \"rel.wasm\"\n"}}}});
  ASSERT_TRUE(r.contains("Error"));
  EXPECT_NE(r["Error"]["message"].get<std::string>().find("absolute path"), std::string::npos) << r.dump();
  // So must the filesystem's directory be.
  r = Call(*client, {{"StartActor", {{"manifest", "name = \"x\"\nversion = \"1\"\ncomponent = \"" +
                                                      testing::Guest("messenger.wasm").string() +
                                                      "\"\n[[handler]]\ntype = \"filesystem\"\npath = \"data\"\n"}}}});
  ASSERT_TRUE(r.contains("Error"));
  EXPECT_NE(r["Error"]["message"].get<std::string>().find("filesystem handler field `path`: give an absolute path"),
            std::string::npos)
      << r.dump();
}

}  // namespace
}  // namespace theater
