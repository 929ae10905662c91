// The actor system's lifecycle API and what every turn leaves in the chain.
#include "chain/state_ref.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Fixture;
using testing::Guest;
using testing::SystemTest;

std::vector<std::string> Types(const std::vector<ChainEvent>& events) {
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.type);
  return types;
}

using testing::Data;

class ActorSystemTest : public SystemTest {};

TEST_F(ActorSystemTest, RunsTurnsInOrderAndRecordsEachInTheChain) {
  std::string id = Spawn("counter.wat");
  ASSERT_TRUE(system_->Send(id, ToBytes("hello")).ok());
  EXPECT_EQ(Ask(id, "how many?"), "2");
  system_->Stop(id);
  ASSERT_TRUE(WaitStopped(id));
  EXPECT_EQ(logs_, std::vector<std::string>{"hello"});
  auto events = Events(id);
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"theater/actor-started", "wasm/call", "wasm/result", "wasm/call",
                                      "theater:simple/runtime/log", "wasm/result", "wasm/call", "wasm/result",
                                      "theater/actor-stopped"}));
  system_->Shutdown();
  auto info = system_->Info(id).value();
  EXPECT_EQ(info.status, ActorStatus::kStopped);
  EXPECT_EQ(info.stop_reason, "stopped");
  EXPECT_EQ(ToString(*info.state), "2");
  std::vector<ChainEvent> on_disk;
  VerifyReport report = VerifyChainFile(info.chain_path, &on_disk);
  ASSERT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(on_disk, events);
  EXPECT_EQ(info.head, events.back().hash);
}

TEST_F(ActorSystemTest, EventDataRecordsParamsStatesAndHostCalls) {
  std::string id = Spawn("counter.wat", ToBytes("7"));
  ASSERT_TRUE(system_->Send(id, ToBytes("note")).ok());
  Ask(id, "sync");
  auto events = Events(id);
  EXPECT_EQ(Data(events[0])["actor_id"], id);
  // States are named by digest; their bytes are in the actor's snapshots.
  auto state = [&](const ChainEvent& e, const char* field) {
    auto ref = StateRefFromJson(Data(e)[field]);
    EXPECT_TRUE(ref.ok() && *ref) << e.seq;
    return ref.ok() && *ref ? (*system_->Snapshots(id))->Read(**ref).value() : Bytes();
  };
  EXPECT_EQ(state(events[0], "initial_state"), ToBytes("7"));
  EXPECT_EQ(Data(events[1])["function"], "theater:simple/actor#init");
  EXPECT_EQ(Data(events[1])["params"][0], id);
  EXPECT_EQ(state(events[2], "state"), ToBytes("7"));
  EXPECT_EQ(Data(events[3])["params"][0].get_binary(), ToBytes("note"));
  EXPECT_EQ(Data(events[4])["args"][0], "note");  // runtime/log
  EXPECT_EQ(state(events[5], "state"), ToBytes("8"));
  EXPECT_EQ(Data(events[5])["state"]["sha256"], ToHex(Sha256(ToBytes("8"))));
  EXPECT_EQ(Data(events[5])["state"]["size"], 1);
}

TEST_F(ActorSystemTest, FailedTurnKeepsTheStateFromBeforeIt) {
  std::string id = Spawn(testing::Example("greeter-c/greeter.wasm"));
  EXPECT_EQ(Ask(id, "Ada"), "Hello, Ada! You are visitor number 1.");
  std::string answer = Ask(id, "");
  EXPECT_NE(answer.find("guest-error"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a name of 1 to 100 bytes"), std::string::npos) << answer;
  ASSERT_TRUE(WaitStopped(id));
  auto info = system_->Info(id).value();
  EXPECT_EQ(info.status, ActorStatus::kFailed);
  EXPECT_EQ(info.failure->kind, FailureKind::kGuestError);
  EXPECT_EQ(ToString(*info.state), "{\"greetings\":1}");
  auto types = Types(Events(id));
  EXPECT_EQ(types[types.size() - 2], "wasm/error");
  EXPECT_EQ(types.back(), "theater/actor-stopped");
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0].first, id);
  // A failed actor takes no more messages.
  Status s = system_->Send(id, ToBytes("x"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("failed"), std::string::npos) << s.message();
}

// A full disk: the chain cannot be written, so the answer must not leave (it would claim
// something the chain cannot prove); the caller hears why and the actor stops failed.
TEST_F(ActorSystemTest, AnActorWhoseChainCannotBeWrittenStopsAndItsAnswerDoesNotLeave) {
  std::string id = SpawnMessenger();
  EXPECT_EQ(Ask(id, "echo before"), "before");
  std::filesystem::path chain = system_->Info(id).value().chain_path;
  std::string answer;
  {
    testing::FileSizeLimit limit(std::filesystem::file_size(chain));
    answer = Ask(id, "echo after");
  }
  EXPECT_NE(answer.find("ERROR: actor " + id + " could not write its chain"), std::string::npos) << answer;
  ASSERT_TRUE(WaitStopped(id));
  auto info = system_->Info(id).value();
  EXPECT_EQ(info.status, ActorStatus::kFailed);
  ASSERT_TRUE(info.failure.has_value());
  EXPECT_NE(info.failure->message.find("its chain could not be written"), std::string::npos) << info.failure->message;
  // What is on disk is the chain up to the last turn that was written, and it verifies.
  std::vector<ChainEvent> on_disk;
  ASSERT_TRUE(VerifyChainFile(chain, &on_disk).ok);
  auto in_memory = Events(id);
  ASSERT_LT(on_disk.size(), in_memory.size());
  EXPECT_TRUE(std::equal(on_disk.begin(), on_disk.end(), in_memory.begin()));
}

TEST_F(ActorSystemTest, HostileActorsFailAloneWithTheirCause) {
  std::string good = Spawn("counter.wat");
  for (const auto& [fixture, kind] : std::vector<std::pair<std::string, FailureKind>>{
           {"trap.wat", FailureKind::kTrap},
           {"endless-loop.wat", FailureKind::kOutOfFuel},
           {"memory-bomb.wat", FailureKind::kOutOfMemory},
           {"recursion.wat", FailureKind::kStackOverflow}}) {
    std::string bad = Spawn(fixture, std::nullopt, {});
    ASSERT_TRUE(WaitStopped(bad)) << fixture;
    auto info = system_->Info(bad).value();
    EXPECT_EQ(info.status, ActorStatus::kFailed) << fixture;
    EXPECT_EQ(info.failure->kind, kind) << fixture << ": " << info.failure->Describe();
    // The neighbour keeps working.
    EXPECT_EQ(Ask(good, "x").empty(), false);
  }
  system_->Shutdown();
  for (const auto& info : system_->List()) EXPECT_TRUE(VerifyChainFile(info.chain_path).ok) << info.id;
}

TEST_F(ActorSystemTest, ImportsMustBeGrantedAndProvided) {
  auto refused = system_->Spawn(MakeManifest("hello.wat", {}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("type = \"runtime\""), std::string::npos) << refused.error();
  // WASI is a handler like the others: refused without the grant, linked with it.
  auto wasi = system_->Spawn(MakeManifest("wasi-import.wat", {"runtime"}));
  ASSERT_FALSE(wasi.ok());
  EXPECT_NE(wasi.error().find("type = \"wasi\""), std::string::npos) << wasi.error();
  auto granted = system_->Spawn(MakeManifest("wasi-import.wat", {"runtime", "wasi"}));
  ASSERT_TRUE(granted.ok()) << granted.error();
  // An interface outside theater:simple and WASI 0.2's is not provided.
  auto http = system_->Spawn(MakeManifest("wasi-http-import.wat", {"runtime", "wasi"}));
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.error().find("not part of theater:simple"), std::string::npos) << http.error();
}

TEST_F(ActorSystemTest, InstantiationFailureIsTheActors) {
  std::string id = Spawn("start-trap.wat", std::nullopt, {});
  ASSERT_TRUE(WaitStopped(id));
  auto info = system_->Info(id).value();
  EXPECT_EQ(info.status, ActorStatus::kFailed);
  EXPECT_EQ(info.failure->kind, FailureKind::kInstantiation);
}

TEST_F(ActorSystemTest, InitInTheStateOnlyShape) {
  std::string id = Spawn("init-state-only.wat", std::nullopt, {});
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(ToString(*system_->Info(id).value().state), "ready");
  EXPECT_TRUE(Data(Events(id).at(1))["params"].is_null());
}

TEST_F(ActorSystemTest, ManifestInitStateAndOverride) {
  testing::WriteText(dir_ / "state.json", "5");
  Manifest m = MakeManifest("counter.wat", {"runtime", "message-server"},
                            "init_state = \"" + (dir_ / "state.json").string() + "\"");
  std::string from_manifest = system_->Spawn(m).value();
  std::string overridden = system_->Spawn(m, ToBytes("40")).value();
  EXPECT_EQ(Ask(from_manifest, "x"), "6");
  EXPECT_EQ(Ask(overridden, "x"), "41");
}

TEST_F(ActorSystemTest, ChainNotSavedWhenTheManifestSaysSo) {
  std::string id = system_->Spawn(MakeManifest("counter.wat", {"runtime", "message-server"}, "save_chain = false")).value();
  Ask(id, "x");
  auto info = system_->Info(id).value();
  EXPECT_TRUE(info.chain_path.empty());
  EXPECT_EQ(info.events, 5u);  // still recorded and hashed in memory
  EXPECT_FALSE(std::filesystem::exists(dir_ / "chains" / (id + ".chain")));
}

TEST_F(ActorSystemTest, StopFinishesTheCurrentTurnAndRefusesTheRest) {
  std::string id = SpawnMessenger();
  ASSERT_TRUE(system_->Stop(id).ok());
  ASSERT_TRUE(WaitStopped(id));
  EXPECT_EQ(system_->Info(id).value().stop_reason, "stopped");
  EXPECT_NE(Ask(id, "echo x").find("ERROR"), std::string::npos);
  EXPECT_FALSE(system_->Stop("nope").ok());
}

TEST_F(ActorSystemTest, TerminateEndsARunningCall) {
  std::string id = SpawnMessenger();
  auto spinning = system_->Request(id, ToBytes("spin"), std::chrono::seconds(30));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(system_->Terminate(id).ok());
  RequestResult r = spinning.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("terminated"), std::string::npos) << r.error;
  ASSERT_TRUE(WaitStopped(id));
  EXPECT_EQ(system_->Info(id).value().stop_reason, "terminated");
  EXPECT_TRUE(failures_.empty());  // terminating is not a failure of the actor
}

TEST_F(ActorSystemTest, TerminateEndsAWaitingCall) {
  std::string waiter = SpawnMessenger(), parker = SpawnMessenger();
  auto waiting = system_->Request(waiter, ToBytes("request " + parker + " park"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(system_->Terminate(waiter).ok());
  RequestResult r = waiting.get();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(WaitStopped(waiter));
  EXPECT_EQ(StatusOf(parker), ActorStatus::kRunning);
  system_->Shutdown();
  EXPECT_TRUE(VerifyChainFile(system_->Info(waiter).value().chain_path).ok);
}

TEST_F(ActorSystemTest, ListsActorsWithTheirStatus) {
  std::string a = SpawnMessenger(), b = SpawnMessenger();
  system_->Stop(b);
  ASSERT_TRUE(WaitStopped(b));
  std::map<std::string, ActorStatus> status;
  for (const auto& info : system_->List()) status[info.id] = info.status;
  EXPECT_EQ(status[a], ActorStatus::kRunning);
  EXPECT_EQ(status[b], ActorStatus::kStopped);
}

class FewActorsTest : public SystemTest {
 protected:
  void Configure(SystemOptions& options) override { options.max_actors = 2; }
};

TEST_F(FewActorsTest, SpawnBeyondTheLimitIsRefusedUntilOneStops) {
  std::string a = SpawnMessenger();
  SpawnMessenger();
  auto third = system_->Spawn(MakeManifest(Guest("messenger.wasm")));
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().find("too many actors: 2 are running"), std::string::npos) << third.error();
  system_->Stop(a);
  ASSERT_TRUE(WaitStopped(a));
  EXPECT_TRUE(system_->Spawn(MakeManifest(Guest("messenger.wasm"))).ok());
}

class RuntimeInterfaceTest : public SystemTest {
 protected:
  void SetUp() override {
    SystemTest::SetUp();
    id_ = Spawn(Guest("runtime-probe.wasm"));
  }
  std::string id_;
};

TEST_F(RuntimeInterfaceTest, GetStateReturnsTheCurrentState) {
  EXPECT_EQ(Ask(id_, "state"), "initial");
  EXPECT_EQ(Ask(id_, "something new"), "something new");
  EXPECT_EQ(Ask(id_, "state"), "something new");
}

TEST_F(RuntimeInterfaceTest, GetChainReturnsTheLinkedChainSoFar) {
  // started, init call + result, this request's wasm/call: 4 events when get-chain runs.
  EXPECT_EQ(Ask(id_, "chain"), "events=4 last=wasm/call linked=yes");
  auto recorded = Events(id_).at(4);
  EXPECT_EQ(recorded.type, "theater:simple/runtime/get-chain");
  EXPECT_EQ(Data(recorded)["result"]["events"], 4);  // a summary, not a copy of the chain
}

TEST_F(RuntimeInterfaceTest, ShutdownStopsTheActorAfterTheTurn) {
  EXPECT_EQ(Ask(id_, "shutdown"), "ok");
  ASSERT_TRUE(WaitStopped(id_));
  auto info = system_->Info(id_).value();
  EXPECT_EQ(info.stop_reason, "shutdown");
  auto events = Events(id_);
  auto stopped = Data(events.back());
  EXPECT_EQ(stopped["shutdown_data"].get_binary(), ToBytes("bye"));
  EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                          [](const ChainEvent& e) { return e.type == "theater:simple/runtime/shutdown"; }));
}

}  // namespace
}  // namespace theater
