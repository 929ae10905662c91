#include <gtest/gtest.h>

#include "chain/chain_file.h"
#include "host/host_interfaces.h"
#include "runtime/actor.h"
#include "test_util.h"

namespace theater {
namespace {

using testing::Fixture;
using testing::TempDir;

class ActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Create({});
    ASSERT_TRUE(engine.ok());
    engine_ = *engine;
    ASSERT_TRUE(host::DefineAllInterfaces(*engine_).ok());
  }

  // A manifest for `component` (absolute or relative to tests/fixtures) granting `handlers`.
  Manifest MakeManifest(const std::filesystem::path& component, const std::vector<std::string>& handlers,
                        const std::string& extra = "") {
    std::string text = "name = \"test\"\nversion = \"0.1.0\"\ncomponent = \"" + component.string() + "\"\n" + extra + "\n";
    for (const auto& h : handlers) text += "[[handler]]\ntype = \"" + h + "\"\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "test.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return *m;
  }

  std::unique_ptr<Actor> Create(Manifest manifest, std::optional<Bytes> state = std::nullopt) {
    ActorOptions options;
    options.chain_dir = dir_.path();
    options.initial_state = std::move(state);
    options.log_sink = [this](const std::string&, const std::string& line) { logs_.push_back(line); };
    auto actor = Actor::Create(engine_, std::move(manifest), std::move(options));
    EXPECT_TRUE(actor.ok()) << actor.error();
    return actor.ok() ? std::move(*actor) : nullptr;
  }

  static std::vector<std::string> Types(const Actor& actor) {
    std::vector<std::string> types;
    for (const auto& e : actor.chain().events()) types.push_back(e.type);
    return types;
  }

  static std::optional<std::string> Ask(Actor& actor, const std::string& text) {
    std::optional<Bytes> response;
    TurnOutcome out = actor.Request("r", ToBytes(text), response);
    EXPECT_TRUE(out.ok()) << out.failure->Describe();
    return response ? std::optional<std::string>(ToString(*response)) : std::nullopt;
  }

  std::shared_ptr<Engine> engine_;
  TempDir dir_;
  std::vector<std::string> logs_;
};

TEST_F(ActorTest, RunsTurnsAndRecordsEachInTheChain) {
  auto actor = Create(MakeManifest("counter.wat", {"runtime", "message-server"}));
  ASSERT_TRUE(actor->Start().ok());
  EXPECT_EQ(ToString(*actor->state()), "0");
  ASSERT_TRUE(actor->Send(ToBytes("hello")).ok());
  EXPECT_EQ(Ask(*actor, "how many?"), "2");
  EXPECT_EQ(ToString(*actor->state()), "2");
  EXPECT_EQ(logs_, std::vector<std::string>{"hello"});
  actor->Stop("finished");

  EXPECT_EQ(Types(*actor),
            (std::vector<std::string>{"theater/actor-started", "wasm/call", "wasm/result", "wasm/call",
                                      "theater:simple/runtime/log", "wasm/result", "wasm/call", "wasm/result",
                                      "theater/actor-stopped"}));
  std::vector<ChainEvent> on_disk;
  VerifyReport report = VerifyChainFile(actor->chain_path(), &on_disk);
  ASSERT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(on_disk, actor->chain().events());
  EXPECT_EQ(actor->chain_path(), dir_.path() / (actor->id() + ".chain"));
}

TEST_F(ActorTest, EventDataRecordsParamsStatesAndHostCalls) {
  auto actor = Create(MakeManifest("counter.wat", {"runtime", "message-server"}), ToBytes("7"));
  ASSERT_TRUE(actor->Start().ok());
  ASSERT_TRUE(actor->Send(ToBytes("note")).ok());
  const auto& events = actor->chain().events();
  auto data = [&](size_t i) { return nlohmann::json::from_cbor(events.at(i).data); };
  EXPECT_EQ(data(0)["actor_id"], actor->id());
  EXPECT_EQ(data(0)["initial_state"].get_binary(), ToBytes("7"));
  EXPECT_EQ(data(1)["function"], "theater:simple/actor#init");
  EXPECT_EQ(data(1)["params"][0], actor->id());
  EXPECT_EQ(data(2)["state"].get_binary(), ToBytes("7"));
  EXPECT_EQ(data(3)["params"][0].get_binary(), ToBytes("note"));
  EXPECT_EQ(data(4)["args"][0], "note");  // runtime/log
  EXPECT_EQ(data(5)["state"].get_binary(), ToBytes("8"));
}

TEST_F(ActorTest, FailedTurnKeepsTheStateFromBeforeIt) {
  auto actor = Create(MakeManifest(testing::Example("greeter-c/greeter.wasm"), {"runtime", "message-server"}));
  ASSERT_TRUE(actor->Start().ok());
  EXPECT_EQ(Ask(*actor, "Ada"), "Hello, Ada! You are visitor number 1.");
  std::optional<Bytes> response;
  TurnOutcome out = actor->Request("r2", ToBytes(""), response);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure->kind, FailureKind::kGuestError);
  EXPECT_EQ(ToString(*actor->state()), "{\"greetings\":1}");
  EXPECT_EQ(actor->status(), ActorStatus::kFailed);
  EXPECT_EQ(Types(*actor).back(), "wasm/error");
  // A failed actor takes no more turns.
  EXPECT_FALSE(actor->Send(ToBytes("x")).ok());
  EXPECT_TRUE(VerifyChainFile(actor->chain_path()).ok);
}

TEST_F(ActorTest, TrapIsRecordedAndTheChainUpToItVerifies) {
  auto actor = Create(MakeManifest("trap.wat", {}));
  TurnOutcome out = actor->Start();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure->kind, FailureKind::kTrap);
  actor->Stop("failed");
  auto data = nlohmann::json::from_cbor(actor->chain().events().at(2).data);
  EXPECT_EQ(data["kind"], "trap");
  EXPECT_TRUE(VerifyChainFile(actor->chain_path()).ok);
}

TEST_F(ActorTest, ImportsMustBeGrantedByTheManifest) {
  auto m = MakeManifest("hello.wat", {});  // hello imports theater:simple/runtime
  auto actor = Actor::Create(engine_, m, {});
  ASSERT_FALSE(actor.ok());
  EXPECT_NE(actor.error().find("theater:simple/runtime"), std::string::npos) << actor.error();
  EXPECT_NE(actor.error().find("type = \"runtime\""), std::string::npos) << actor.error();
}

TEST_F(ActorTest, ImportsMustBeProvided) {
  auto actor = Actor::Create(engine_, MakeManifest("wasi-import.wat", {"runtime"}), {});
  ASSERT_FALSE(actor.ok());
  EXPECT_NE(actor.error().find("not part of theater:simple"), std::string::npos) << actor.error();
}

TEST_F(ActorTest, InitInTheStateOnlyShape) {
  auto actor = Create(MakeManifest("init-state-only.wat", {}));
  ASSERT_TRUE(actor->Start().ok());
  EXPECT_EQ(ToString(*actor->state()), "ready");
  auto call = nlohmann::json::from_cbor(actor->chain().events().at(1).data);
  EXPECT_TRUE(call["params"].is_null());
}

TEST_F(ActorTest, ManifestInitStateAndOverride) {
  testing::WriteText(dir_ / "state.json", "5");
  Manifest m = MakeManifest("counter.wat", {"runtime", "message-server"},
                            "init_state = \"" + (dir_ / "state.json").string() + "\"");
  auto from_manifest = Create(m);
  ASSERT_TRUE(from_manifest->Start().ok());
  EXPECT_EQ(ToString(*from_manifest->state()), "5");
  auto overridden = Create(m, ToBytes("40"));
  ASSERT_TRUE(overridden->Start().ok());
  EXPECT_EQ(ToString(*overridden->state()), "40");
}

TEST_F(ActorTest, ChainNotSavedWhenTheManifestSaysSo) {
  auto actor = Create(MakeManifest("counter.wat", {"runtime", "message-server"}, "save_chain = false"));
  ASSERT_TRUE(actor->Start().ok());
  EXPECT_TRUE(actor->chain_path().empty());
  EXPECT_EQ(actor->chain().size(), 3u);  // still recorded and hashed in memory
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

class RuntimeInterfaceTest : public ActorTest {
 protected:
  void SetUp() override {
    ActorTest::SetUp();
    actor_ = Create(MakeManifest(testing::Guest("runtime-probe.wasm"), {"runtime", "message-server"}));
    ASSERT_TRUE(actor_->Start().ok());
  }
  std::unique_ptr<Actor> actor_;
};

TEST_F(RuntimeInterfaceTest, GetStateReturnsTheCurrentState) {
  EXPECT_EQ(Ask(*actor_, "state"), "initial");
  EXPECT_EQ(Ask(*actor_, "something new"), "something new");
  EXPECT_EQ(Ask(*actor_, "state"), "something new");
}

TEST_F(RuntimeInterfaceTest, GetChainReturnsTheLinkedChainSoFar) {
  // started, init call + result, this request's wasm/call: 4 events when get-chain runs.
  EXPECT_EQ(Ask(*actor_, "chain"), "events=4 last=wasm/call linked=yes");
  const ChainEvent& recorded = actor_->chain().events().at(4);
  EXPECT_EQ(recorded.type, "theater:simple/runtime/get-chain");
  auto data = nlohmann::json::from_cbor(recorded.data);
  EXPECT_EQ(data["result"]["events"], 4);  // a summary, not a copy of the chain
}

TEST_F(RuntimeInterfaceTest, ShutdownIsRequestedAndRecorded) {
  EXPECT_FALSE(actor_->shutdown_requested());
  EXPECT_EQ(Ask(*actor_, "shutdown"), "ok");
  EXPECT_TRUE(actor_->shutdown_requested());
  actor_->Stop("shutdown");
  auto stopped = nlohmann::json::from_cbor(actor_->chain().events().back().data);
  EXPECT_EQ(stopped["reason"], "shutdown");
  EXPECT_EQ(stopped["shutdown_data"].get_binary(), ToBytes("bye"));
  bool recorded = false;
  for (const auto& e : actor_->chain().events()) recorded |= e.type == "theater:simple/runtime/shutdown";
  EXPECT_TRUE(recorded);
}

}  // namespace
}  // namespace theater
