// Deterministic replay: recorded runs of every example and test actor replay identically,
// hash for hash; another build shows the first event where it behaves differently.
#include "chain/snapshot_file.h"
#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Example;
using testing::Fixture;
using testing::Guest;
using testing::SystemTest;

class ReplayTest : public SystemTest {
 protected:
  // Runs the system to the end and returns every actor's saved chain.
  std::vector<std::pair<std::string, std::vector<ChainEvent>>> SavedChains() {
    system_->WaitIdle(std::chrono::seconds(10));  // a stop refuses what is still waiting
    system_->Shutdown();
    std::vector<std::pair<std::string, std::vector<ChainEvent>>> chains;
    for (const auto& info : system_->List()) {
      std::vector<ChainEvent> events;
      VerifyReport report = VerifyChainFile(info.chain_path, &events);
      EXPECT_TRUE(report.ok) << report.reason;
      chains.emplace_back(info.name, std::move(events));
    }
    return chains;
  }

  void ExpectAllReplayIdentical() {
    auto infos = system_->List();
    ASSERT_FALSE(infos.empty());
    for (const auto& info : infos) {
      const std::string& name = info.name;
      std::vector<ChainEvent> events;
      VerifyReport report = VerifyChainFile(info.chain_path, &events);
      ASSERT_TRUE(report.ok) << report.reason;
      // Restarts start again from recorded states: their bytes come from the snapshot file.
      auto snapshots = SnapshotFile::Open(SnapshotPathFor(info.chain_path));
      ASSERT_TRUE(snapshots.ok()) << snapshots.error();
      ReplayOptions options;
      options.snapshots = snapshots->get();
      ReplayReport r = Replay(events, options);
      ASSERT_TRUE(r.error.empty()) << name << ": " << r.error;
      EXPECT_TRUE(r.identical) << name << ": diverges at " << r.divergence->seq << ": " << r.divergence->why;
      EXPECT_EQ(r.events, events.size()) << name;
      EXPECT_EQ(r.head, events.back().hash) << name;
      EXPECT_TRUE(r.same_component);
    }
  }

  Manifest Load(const std::filesystem::path& path) { return LoadManifest(path).value(); }
};

TEST_F(ReplayTest, GreeterAndKeyValueExamples) {
  std::string greeter = system_->Spawn(Load(Example("greeter-c/manifest.toml"))).value();
  system_->Send(greeter, ToBytes("hi"));
  Ask(greeter, "Ada");
  Ask(greeter, "");  // a guest error: the failure replays too
  std::string kv = system_->Spawn(Load(Example("kv-cpp/manifest.toml"))).value();
  Ask(kv, "set a 1");
  system_->Send(kv, ToBytes("set b 2"));
  Ask(kv, "keys");
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, PingPongRequestsBetweenActors) {
  std::string ping = system_->Spawn(Load(Example("ping-pong/ping.toml"))).value();
  std::string pong = system_->Spawn(Load(Example("ping-pong/pong.toml"))).value();
  EXPECT_EQ(Ask(ping, "play " + pong + " 5"), "5 of 5 pings answered");
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, ChatRoomChannels) {
  std::string room = system_->Spawn(Load(Example("chat/room.toml"))).value();
  std::string alice = system_->Spawn(Load(Example("chat/member.toml"))).value();
  std::string bob = system_->Spawn(Load(Example("chat/member.toml"))).value();
  Ask(alice, "join " + room + " alice");
  Ask(bob, "join " + room + " bob");
  Ask(alice, "say hello");
  system_->WaitIdle(std::chrono::seconds(5));
  Ask(bob, "leave");
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, SupervisionWithRestarts) {
  std::string boss = system_->Spawn(Load(Example("supervision/supervisor.toml"))).value();
  for (int job = 1; job <= 7; ++job) Ask(boss, "job " + std::to_string(job));
  system_->WaitIdle(std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // restarts with backoff
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, TimeAndRandomnessAreFedBack) {
  std::string text = "name = \"dice\"\nversion = \"1\"\ncomponent = \"" + Guest("dice.wasm").string() +
                     "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"timing\"\n[[handler]]\ntype = \"random\"\n";
  std::string dice = system_->Spawn(ParseManifest(text, THEATER_FIXTURES, "dice.toml").value()).value();
  for (const char* cmd : {"now", "sleep 30", "bytes 32", "range 1 1000", "float", "uuid", "roll", "range 9 3"})
    Ask(dice, cmd);
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, RuntimeInterfaceAndChainIntrospection) {
  std::string probe = Spawn(Guest("runtime-probe.wasm"));
  Ask(probe, "state");
  Ask(probe, "chain");  // get-chain: the replay answers from the replayed chain
  Ask(probe, "new state");
  Ask(probe, "shutdown");
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, HostileActorsFailTheSameWay) {
  for (const char* fixture : {"trap.wat", "endless-loop.wat", "memory-bomb.wat", "recursion.wat", "guest-error.wat"})
    Spawn(fixture, std::nullopt, {});
  system_->WaitIdle(std::chrono::seconds(10));
  ExpectAllReplayIdentical();
}

TEST_F(ReplayTest, AnotherBuildShowsTheFirstDivergentEvent) {
  std::string counter = Spawn("counter.wat");
  system_->Send(counter, ToBytes("one"));
  Ask(counter, "two");
  auto chains = SavedChains();
  const auto& events = chains.at(0).second;
  ReplayOptions options;
  options.component = Fixture("counter-by-two.wat");
  ReplayReport r = Replay(events, options);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.identical);
  EXPECT_FALSE(r.same_component);
  ASSERT_TRUE(r.divergence);
  // started, init call, init result (the same: "0"), send call, log, then the send's result:
  // "1" recorded, "2" replayed.
  EXPECT_EQ(r.divergence->seq, 5u);
  EXPECT_EQ(r.events, 5u);
  ASSERT_TRUE(r.divergence->recorded && r.divergence->replayed);
  EXPECT_EQ(r.divergence->recorded->type, "wasm/result");
  auto recorded = nlohmann::json::from_cbor(r.divergence->recorded->data);
  auto replayed = nlohmann::json::from_cbor(r.divergence->replayed->data);
  EXPECT_EQ(recorded["state"]["sha256"], ToHex(Sha256(ToBytes("1"))));
  EXPECT_EQ(replayed["state"]["sha256"], ToHex(Sha256(ToBytes("2"))));
  EXPECT_NE(r.divergence->why.find("the replayed state (sha256 " + ToHex(Sha256(ToBytes("2"))) +
                                   ", 1 bytes) differs from the recorded one"),
            std::string::npos)
      << r.divergence->why;
}

TEST_F(ReplayTest, AnotherBuildIsRefusedUnlessAskedFor) {
  testing::WriteText(dir_ / "counter.wat", testing::ToStr(ReadFile(Fixture("counter.wat")).value()));
  system_->Spawn(MakeManifest(dir_ / "counter.wat")).value();
  auto events = SavedChains().at(0).second;
  // The component on disk changes after the run.
  testing::WriteText(dir_ / "counter.wat", testing::ToStr(ReadFile(Fixture("counter-by-two.wat")).value()));
  ReplayReport r = Replay(events, {});
  EXPECT_NE(r.error.find("the chain recorded"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("--component"), std::string::npos) << r.error;
}

TEST_F(ReplayTest, ReplayedHostCallsMustMatchTheRecordedInputs) {
  // A chain whose recorded log argument was changed (and re-hashed, so it verifies): the
  // component's real call no longer matches the recording.
  std::string hello = Spawn("hello.wat", std::nullopt, {"runtime"});
  auto events = SavedChains().at(0).second;
  size_t log = 0;
  while (log < events.size() && events[log].type != "theater:simple/runtime/log") ++log;
  ASSERT_LT(log, events.size());
  auto data = ordered_json::from_cbor(events[log].data);
  data["args"][0] = "Hello from someone else";
  events[log].data = ordered_json::to_cbor(data);
  for (size_t i = log; i < events.size(); ++i) {
    if (i > log) events[i].parent = events[i - 1].hash;
    events[i].hash = ComputeEventHash(events[i]);
  }
  ReplayReport r = Replay(events, {});
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->seq, log);
  EXPECT_NE(r.divergence->why.find("with [\"Hello from a WAT actor\"], the recording has [\"Hello from someone else\"]"),
            std::string::npos)
      << r.divergence->why;
}

}  // namespace
}  // namespace theater
