// The server under bad and heavy input: each bad client gets a clear error or a clean
// disconnect, and the server and the other clients go on as if nothing happened.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "server/frame.h"
#include "server_test_util.h"

namespace theater {
namespace {

using server::json;
using testing::ServerTest;

// A client whose connection the server has closed: reading ends with an error.
bool Disconnected(server::Client& client) {
  for (int i = 0; i < 50; ++i) {
    auto m = client.ReadMessage(std::chrono::milliseconds(100));
    if (!m.ok()) return true;
  }
  return false;
}

TEST_F(ServerTest, InvalidJsonUnknownCommandsAndBadFieldsAreErrorsAndTheConnectionGoesOn) {
  StartServer();
  auto client = Connect();
  ASSERT_TRUE(client->SendRaw(server::EncodeFrame("{not json")).ok());
  auto m = client->ReadMessage(std::chrono::seconds(5));
  ASSERT_TRUE(m.ok() && *m);
  EXPECT_EQ((**m)["Error"]["kind"], "InvalidJson");
  EXPECT_EQ(ErrorKind(*client, {{"LaunchMissiles", json::object()}}), "UnknownCommand");
  EXPECT_EQ(ErrorKind(*client, {{"StopActor", json::object()}}), "InvalidCommand");
  EXPECT_EQ(ErrorKind(*client, {{"StopActor", {{"id", 7}}}}), "InvalidCommand");
  EXPECT_EQ(ErrorKind(*client, {{"StopActor", {{"id", "x"}, {"force", true}}}}), "InvalidCommand");
  EXPECT_EQ(ErrorKind(*client, {{"SendActorMessage", {{"id", "x"}, {"data", {1, 300}}}}}), "InvalidCommand");
  EXPECT_EQ(ErrorKind(*client, json::array({1, 2})), "InvalidCommand");
  // Still served.
  Expect(*client, "ListActors", "ActorList");
}

TEST_F(ServerTest, AFrameAboveTheLimitIsRefusedAndItsClientDisconnected) {
  StartServer([](server::ServerOptions& o) { o.max_frame_bytes = 1024; });
  auto bad = Connect();
  auto good = Connect();
  std::string id = StartMessenger(*good);
  ASSERT_TRUE(bad->SendRaw(server::EncodeFrame(std::string(2000, 'x'))).ok());
  auto m = bad->ReadMessage(std::chrono::seconds(5));
  ASSERT_TRUE(m.ok() && *m);
  EXPECT_EQ((**m)["Error"]["kind"], "FrameTooLarge");
  EXPECT_NE((**m)["Error"]["message"].get<std::string>().find("2000 bytes"), std::string::npos);
  EXPECT_TRUE(Disconnected(*bad));
  EXPECT_EQ(Ask(*good, id, "echo still here"), "still here");
  // A header announcing 4 GiB is refused before anything is read or allocated.
  auto huge = Connect();
  ASSERT_TRUE(huge->SendRaw(std::string("\xff\xff\xff\xff", 4)).ok());
  EXPECT_TRUE(Disconnected(*huge));
}

TEST_F(ServerTest, AClientThatDisconnectsInTheMiddleOfAFrameHarmsNoOne) {
  StartServer();
  auto good = Connect();
  std::string id = StartMessenger(*good);
  for (int i = 0; i < 20; ++i) {
    auto bad = Connect();
    std::string frame = server::EncodeFrame(json{{"RequestActorMessage", {{"id", id}, {"data", "echo x"}}}}.dump());
    ASSERT_TRUE(bad->SendRaw(frame.substr(0, frame.size() / 2 + i % 3)).ok());
  }  // each goes away mid-frame
  EXPECT_EQ(Ask(*good, id, "echo fine"), "fine");
  Expect(*good, "GetServerInfo", "ServerInfo");
}

TEST_F(ServerTest, ASubscriberThatNeverReadsCannotStallActorsAndIsToldItFellBehind) {
  StartServer([](server::ServerOptions& o) {
    o.stream_buffer_bytes = 64 << 10;
    o.max_buffer_bytes = 16 << 20;
  });
  auto client = Connect();
  std::string id = StartMessenger(*client);
  auto slow = Connect();
  Expect(*slow, {{"SubscribeToActor", {{"id", id}}}}, "Subscribed");
  // Many events while the subscriber reads nothing: every request is still answered.
  std::string payload(2000, 'p');
  for (int i = 0; i < 1500; ++i) ASSERT_EQ(Ask(*client, id, "echo " + payload), payload) << i;
  // Now it reads: some events were dropped, and it is told how many.
  json lagged = WaitFor(*slow, "SubscriptionLagged", std::chrono::seconds(20));
  ASSERT_FALSE(lagged.is_null());
  EXPECT_GT(lagged["dropped"].get<uint64_t>(), 0u);
  EXPECT_EQ(lagged["id"], id);
  // And the subscription goes on afterwards.
  Ask(*client, id, "echo later");
  EXPECT_FALSE(WaitFor(*slow, "ActorEvent", std::chrono::seconds(5)).is_null());
}

TEST_F(ServerTest, AClientThatNeverReadsItsResponsesIsDisconnected) {
  StartServer([](server::ServerOptions& o) { o.max_buffer_bytes = 1 << 20; });
  auto client = Connect();
  std::string id = StartMessenger(*client);
  for (int i = 0; i < 50; ++i) Ask(*client, id, "echo " + std::string(1000, 'e'));
  auto greedy = Connect();
  int small = 4096;
  ::setsockopt(greedy->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  // Each answer is the whole chain (~100 KB): pipelined and never read.
  std::string frame = server::EncodeFrame(json{{"GetActorEvents", {{"id", id}}}}.dump());
  for (int i = 0; i < 200; ++i)
    if (!greedy->SendRaw(frame).ok()) break;
  for (int i = 0; i < 100 && !LogContains("did not read"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(LogContains("did not read its responses"));
  EXPECT_EQ(Ask(*client, id, "echo fine"), "fine");
}

TEST_F(ServerTest, ATokenIsRequiredWhenTheServerHasOne) {
  StartServer([](server::ServerOptions& o) { o.auth_token = "s3cret"; });
  auto anonymous = Connect();
  EXPECT_EQ(ErrorKind(*anonymous, "ListActors"), "Unauthorized");
  EXPECT_TRUE(Disconnected(*anonymous));

  auto wrong = server::Client::Connect(Address(), "guess");
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find("wrong token"), std::string::npos) << wrong.error();

  auto client = Connect("s3cret");
  ASSERT_TRUE(client);
  Expect(*client, "ListActors", "ActorList");
}

TEST_F(ServerTest, ListeningBeyondLoopbackNeedsAToken) {
  server::ServerOptions options;
  options.listen = "0.0.0.0:0";
  options.data_dir = dir_.path();
  options.log = [](const std::string&) {};
  auto refused = server::Server::Create(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("token"), std::string::npos);
  options.listen = "127.0.0.1:notaport";
  auto bad = server::Server::Create(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("port"), std::string::npos);
  options.listen = "0.0.0.0:0";
  options.auth_token = "s3cret";
  auto ok = server::Server::Create(options);
  EXPECT_TRUE(ok.ok()) << ok.error();
}

TEST_F(ServerTest, ClientsBeyondTheLimitAreToldTheServerIsBusy) {
  StartServer([](server::ServerOptions& o) { o.max_connections = 3; });
  auto a = Connect(), b = Connect(), c = Connect();
  Expect(*a, "ListActors", "ActorList");
  Expect(*b, "ListActors", "ActorList");
  Expect(*c, "ListActors", "ActorList");
  auto d = Connect();
  auto m = d->ReadMessage(std::chrono::seconds(5));
  ASSERT_TRUE(m.ok() && *m);
  EXPECT_EQ((**m)["Error"]["kind"], "Busy");
  EXPECT_TRUE(Disconnected(*d));
  Expect(*a, "ListActors", "ActorList");
}

}  // namespace
}  // namespace theater
