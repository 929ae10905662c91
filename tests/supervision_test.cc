// theater:simple/supervisor, the parent callbacks, restart policies, stop cascades and
// permissions, with real actors: tests/guests/boss.c supervises tests/guests/messenger.c.
#include "runtime/chain_state.h"
#include "runtime/contract.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;
using Clock = std::chrono::steady_clock;

using testing::Data;

class SupervisionTest : public SystemTest {
 protected:
  void Configure(SystemOptions& options) override {
    options.on_finished = [this](const std::string& id, const std::string& reason) {
      std::lock_guard lock(mu_);
      finished_.emplace_back(id, reason);
    };
  }

  // Writes a boss manifest with these supervisor settings (and extra TOML) and a child
  // manifest (child.toml) beside it; returns the boss manifest's path.
  std::filesystem::path WriteBoss(const std::string& settings, const std::string& extra = "",
                                  const std::string& name = "boss.toml") {
    testing::WriteText(dir_ / "child.toml", "name = \"child\"\nversion = \"1\"\ncomponent = \"" +
                                                testing::LocalGuest(dir_.path(), "messenger.wasm").string() +
                                                "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
    testing::WriteText(dir_ / name, "name = \"boss\"\nversion = \"1\"\ncomponent = \"" + testing::LocalGuest(dir_.path(), "boss.wasm").string() +
                                        "\"\n" + extra + "\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                                        "[[handler]]\ntype = \"supervisor\"\n" + settings + "\n");
    return dir_ / name;
  }

  std::string SpawnBoss(const std::string& settings, const std::string& extra = "") {
    auto m = LoadManifest(WriteBoss(settings, extra));
    EXPECT_TRUE(m.ok()) << m.error();
    return system_->Spawn(*m).value();
  }

  // Asks the boss to spawn a child (child.toml); returns its id.
  std::string SpawnChild(const std::string& boss, const std::string& manifest = "child.toml") {
    std::string answer = Ask(boss, "spawn " + manifest);
    EXPECT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
    return answer.size() > 4 ? answer.substr(4) : "";
  }

  // Waits until `pred` holds, up to `timeout`.
  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
  }

  ActorInfo InfoOf(const std::string& id) { return system_->Info(id).value(); }
  bool RestartedTimes(const std::string& id, uint32_t n) {
    return WaitFor([&] {
      auto info = InfoOf(id);
      return info.restarts == n && info.status == ActorStatus::kRunning;
    });
  }
  std::string Transcript(const std::string& boss) {
    system_->WaitIdle(std::chrono::seconds(5));
    return Ask(boss, "transcript");
  }
  size_t CountEvents(const std::string& id, const std::string& type) {
    auto events = Events(id);
    return std::count_if(events.begin(), events.end(), [&](const ChainEvent& e) { return e.type == type; });
  }

  std::vector<std::pair<std::string, std::string>> finished_;
};

TEST_F(SupervisionTest, SpawnListStateEventsAndTalk) {
  std::string boss = SpawnBoss("");
  std::string child = SpawnChild(boss);
  EXPECT_EQ(Ask(boss, "children"), child);
  EXPECT_EQ(InfoOf(child).parent, boss);
  EXPECT_EQ(Ask(boss, "tell " + child + " echo hello"), "ok: hello");
  EXPECT_EQ(Ask(child, "set remember this"), "ok");
  EXPECT_EQ(Ask(boss, "state " + child), "ok: remember this");
  std::string events = Ask(boss, "events " + child);
  EXPECT_EQ(events.rfind("ok: ", 0), 0u) << events;
  auto started = Data(Events(child).at(0));
  EXPECT_EQ(started["parent"], boss);
}

TEST_F(SupervisionTest, ChildStateAndEventsAsTheRuntimeHasThem) {
  std::string boss = SpawnBoss("");
  std::string child = SpawnChild(boss);
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(Ask(boss, "state " + child), "ok: none");  // messenger starts without state
  size_t n = Events(child).size();
  EXPECT_EQ(Ask(boss, "events " + child), "ok: " + std::to_string(n) + " wasm/result");
}

TEST_F(SupervisionTest, SpawnFromInlineTomlAndResumeWithAState) {
  std::string boss = SpawnBoss("");
  std::string inline_toml = "name = \"inline\"\nversion = \"1\"\ncomponent = \"" +
                            testing::LocalGuest(dir_.path(), "messenger.wasm").string() +
                            "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
  std::string answer = Ask(boss, "spawn-inline " + inline_toml);
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  EXPECT_EQ(InfoOf(answer.substr(4)).name, "inline");

  answer = Ask(boss, "resume child.toml resumed-state");
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  std::string resumed = answer.substr(4);
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(ToString(*InfoOf(resumed).state), "resumed-state");
  EXPECT_EQ(CountEvents(resumed, "wasm/call"), 0u);  // init was not called
  EXPECT_EQ(Data(Events(resumed).at(0))["init"], false);
  EXPECT_EQ(Ask(resumed, "transcript"), "resumed-state");
}

TEST_F(SupervisionTest, BadManifestsAreErrorsForTheParent) {
  std::string boss = SpawnBoss("");
  EXPECT_EQ(Ask(boss, "spawn nope.toml").rfind("err: cannot read manifest", 0), 0u);
  EXPECT_NE(Ask(boss, "spawn store://abc/def").find("store://"), std::string::npos);
  EXPECT_NE(Ask(boss, "spawn-inline name = ").find("invalid TOML"), std::string::npos);
}

TEST_F(SupervisionTest, AParentActsOnlyOnItsOwnChildren) {
  std::string a = SpawnBoss(""), b = SpawnBoss("");
  std::string child = SpawnChild(a);
  for (const char* cmd : {"stop ", "restart ", "state ", "events "})
    EXPECT_EQ(Ask(b, cmd + child), "err: actor " + child + " is not a child of this actor") << cmd;
  EXPECT_EQ(Ask(b, "children"), "");
  EXPECT_EQ(StatusOf(child), ActorStatus::kRunning);
}

TEST_F(SupervisionTest, ChildErrorReachesTheParentWithItsClassifiedCause) {
  std::string boss = SpawnBoss("max_restarts = 10");
  std::string child = SpawnChild(boss);
  Ask(child, "trap");
  ASSERT_TRUE(RestartedTimes(child, 1));
  std::string transcript = Transcript(boss);
  EXPECT_NE(transcript.find("error " + child + " internal {\"kind\":\"trap\""), std::string::npos) << transcript;
  Ask(child, "recurse");
  ASSERT_TRUE(RestartedTimes(child, 2));
  EXPECT_NE(Transcript(boss).find("\"kind\":\"stack-overflow\""), std::string::npos);
  Ask(child, "fail");
  ASSERT_TRUE(RestartedTimes(child, 3));
  EXPECT_NE(Transcript(boss).find("\"kind\":\"guest-error\""), std::string::npos);
}

TEST_F(SupervisionTest, OneForOneRestartsOnlyTheChildThatFailed) {
  std::string boss = SpawnBoss("strategy = \"one-for-one\"");
  std::string a = SpawnChild(boss), b = SpawnChild(boss);
  Ask(a, "set state-before-crash");
  Ask(a, "trap");
  ASSERT_TRUE(RestartedTimes(a, 1));
  EXPECT_EQ(InfoOf(b).restarts, 0u);
  EXPECT_EQ(InfoOf(a).state, std::nullopt);  // back to its initial state
  EXPECT_EQ(InfoOf(a).id, a);                // same id, same chain
  EXPECT_EQ(CountEvents(a, "theater/actor-restarted"), 1u);
  EXPECT_EQ(Ask(a, "echo alive again"), "alive again");
  EXPECT_EQ(Ask(boss, "children"), a + "," + b);
}

TEST_F(SupervisionTest, OneForAllRestartsEveryChild) {
  std::string boss = SpawnBoss("strategy = \"one-for-all\"");
  std::string a = SpawnChild(boss), b = SpawnChild(boss), c = SpawnChild(boss);
  Ask(b, "trap");
  ASSERT_TRUE(RestartedTimes(a, 1));
  ASSERT_TRUE(RestartedTimes(b, 1));
  ASSERT_TRUE(RestartedTimes(c, 1));
  auto stopped = FindEvent(a, "theater/actor-stopped");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(Data(*stopped)["reason"], "restarting");
  EXPECT_EQ(Ask(c, "echo ok"), "ok");
}

TEST_F(SupervisionTest, RestForOneRestartsTheChildAndThoseStartedAfterIt) {
  std::string boss = SpawnBoss("strategy = \"rest-for-one\"");
  std::string a = SpawnChild(boss), b = SpawnChild(boss), c = SpawnChild(boss);
  Ask(b, "trap");
  ASSERT_TRUE(RestartedTimes(b, 1));
  ASSERT_TRUE(RestartedTimes(c, 1));
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(InfoOf(a).restarts, 0u);
  EXPECT_EQ(CountEvents(a, "theater/actor-stopped"), 0u);
}

TEST_F(SupervisionTest, RestartIntensityExceededFailsTheSupervisorUpTheTree) {
  // top supervises middle (generously); middle gives up after 2 restarts of its child.
  testing::WriteText(dir_ / "middle.toml", "");
  WriteBoss("max_restarts = 2\nrestart_window_ms = 60000\nbackoff_initial_ms = 0", "", "middle.toml");
  std::string top = SpawnBoss("max_restarts = 5\nbackoff_initial_ms = 0");
  std::string middle = SpawnChild(top, "middle.toml");
  std::string child = SpawnChild(middle);
  Ask(child, "trap");
  ASSERT_TRUE(RestartedTimes(child, 1));
  Ask(child, "trap");
  ASSERT_TRUE(RestartedTimes(child, 2));
  Ask(child, "trap");  // the third failure in the window: middle gives up
  ASSERT_TRUE(RestartedTimes(middle, 1));
  std::string transcript = Transcript(top);
  EXPECT_NE(transcript.find("error " + middle + " internal {\"kind\":\"restart-intensity-exceeded\""), std::string::npos)
      << transcript;
  auto failed = FindEvent(middle, "theater/actor-stopped");
  ASSERT_TRUE(failed);
  EXPECT_EQ(Data(*failed)["reason"], "failed");
  EXPECT_EQ(Data(*failed)["failure"]["kind"], "restart-intensity-exceeded");
  // middle's child is not restarted, and middle starts over without children.
  EXPECT_EQ(StatusOf(child), ActorStatus::kFailed);
  EXPECT_EQ(Ask(middle, "children"), "");
}

TEST_F(SupervisionTest, BackoffGrowsBetweenRestarts) {
  std::string boss = SpawnBoss("max_restarts = 10\nbackoff_initial_ms = 150\nbackoff_factor = 2.0\nbackoff_max_ms = 1000");
  std::string child = SpawnChild(boss);
  std::vector<double> waited;
  for (uint32_t n = 1; n <= 3; ++n) {
    Ask(child, "trap");
    auto failed_at = Clock::now();
    ASSERT_TRUE(RestartedTimes(child, n));
    waited.push_back(std::chrono::duration<double, std::milli>(Clock::now() - failed_at).count());
  }
  EXPECT_LT(waited[0], 100);  // the first restart is immediate
  EXPECT_GE(waited[1], 140);  // then 150 ms
  EXPECT_LT(waited[1], 290);
  EXPECT_GE(waited[2], 290);  // then 300 ms
}

TEST_F(SupervisionTest, RestartWithTheLastGoodState) {
  std::string boss = SpawnBoss("restart_state = \"last-good\"");
  std::string child = SpawnChild(boss);
  Ask(child, "set remember me");
  EXPECT_EQ(Ask(child, "transcript"), "remember me");
  Ask(child, "trap");
  ASSERT_TRUE(RestartedTimes(child, 1));
  EXPECT_EQ(Ask(child, "transcript"), "remember me");
}

TEST_F(SupervisionTest, ChildExitIsReportedAndNotRestarted) {
  std::string boss = SpawnBoss("");
  std::string child = SpawnChild(boss);
  EXPECT_EQ(Ask(child, "shutdown bye"), "ok");
  ASSERT_TRUE(WaitStopped(child));
  EXPECT_NE(Transcript(boss).find("exit " + child + " bye"), std::string::npos);
  EXPECT_EQ(InfoOf(child).restarts, 0u);
  EXPECT_EQ(Ask(boss, "children"), "");
}

TEST_F(SupervisionTest, ExternalStopIsReported) {
  std::string boss = SpawnBoss("");
  std::string child = SpawnChild(boss);
  system_->Stop(child);
  ASSERT_TRUE(WaitStopped(child));
  EXPECT_NE(Transcript(boss).find("external-stop " + child), std::string::npos);
  EXPECT_EQ(InfoOf(child).restarts, 0u);
}

TEST_F(SupervisionTest, StopChildAndRestartChild) {
  std::string boss = SpawnBoss("");
  std::string a = SpawnChild(boss), b = SpawnChild(boss);
  EXPECT_EQ(Ask(boss, "stop " + a), "ok");
  ASSERT_TRUE(WaitStopped(a));
  EXPECT_EQ(InfoOf(a).stop_reason, "stopped by its supervisor");
  EXPECT_EQ(Ask(boss, "restart " + b), "ok");
  ASSERT_TRUE(RestartedTimes(b, 1));
  std::string transcript = Transcript(boss);
  EXPECT_EQ(transcript, "");  // the parent asked: no callbacks
  EXPECT_EQ(Ask(boss, "children"), b);
}

TEST_F(SupervisionTest, StoppingAParentStopsItsChildrenFirstDeepestFirst) {
  WriteBoss("", "", "middle.toml");
  std::string top = SpawnBoss("");
  std::string middle = SpawnChild(top, "middle.toml");
  std::string leaf = SpawnChild(middle);
  {
    std::lock_guard lock(mu_);
    finished_.clear();
  }
  system_->Stop(top);
  ASSERT_TRUE(WaitStopped(top));
  std::lock_guard lock(mu_);
  ASSERT_EQ(finished_.size(), 3u);
  EXPECT_EQ(finished_[0].first, leaf);
  EXPECT_EQ(finished_[1].first, middle);
  EXPECT_EQ(finished_[2].first, top);
  EXPECT_EQ(finished_[0].second, "its supervisor stopped");
  EXPECT_EQ(finished_[2].second, "stopped");
}

TEST_F(SupervisionTest, AChildNeverGetsACapabilityItsParentLacks) {
  // A parent without message-server spawning a child that asks for it.
  testing::WriteText(dir_ / "lean.toml", "name = \"lean\"\nversion = \"1\"\ncomponent = \"" + testing::LocalGuest(dir_.path(), "boss.wasm").string() +
                                             "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n");
  std::string boss = SpawnBoss("");
  std::string lean = SpawnChild(boss, "lean.toml");
  std::string answer = Ask(lean, "spawn child.toml");  // child.toml asks for runtime too
  EXPECT_EQ(answer, "err: " + (dir_ / "child.toml").string() +
                        ": the child asks for handler `runtime`, which its parent does not have");
}

TEST_F(SupervisionTest, PermissionPolicyDisallow) {
  std::string boss = SpawnBoss("", "[permission_policy.runtime]\ntype = \"disallow\"");
  std::string answer = Ask(boss, "spawn child.toml");
  EXPECT_NE(answer.find("permission_policy disallows handler `runtime`"), std::string::npos) << answer;
}

TEST_F(SupervisionTest, PermissionPolicyRestrictAndInheritNarrowSettings) {
  // The boss restricts its children's supervisor handler to one child each.
  std::string boss = SpawnBoss("", "[permission_policy.supervisor]\ntype = \"restrict\"\nmax_children = 1");
  std::string middle = SpawnChild(boss, "boss.toml");
  EXPECT_EQ(Ask(middle, "spawn-many child.toml 3"),
            "spawned 1 (err: too many children: this actor already has 1 (max_children of its supervisor handler))");
  // A child may not ask for more than its parent has.
  std::string modest = SpawnBoss("max_children = 50");
  WriteBoss("max_children = 500", "", "greedy.toml");
  std::string answer = Ask(modest, "spawn greedy.toml");
  EXPECT_NE(answer.find("setting `max_children`: larger than the parent's"), std::string::npos) << answer;
}

// A limit the child leaves out is its parent's, not the handler's (larger) default; a
// seed is not a limit and is not handed down.
TEST_F(SupervisionTest, LeftOutLimitsAreTheParents) {
  auto manifest = [&](const std::string& handler, const std::string& settings) {
    std::string text = "name = \"m\"\nversion = \"1\"\ncomponent = \"" + Guest("dice.wasm").string() +
                       "\"\n[[handler]]\ntype = \"" + handler + "\"\n" + settings + "\n";
    return ParseManifest(text, dir_.path(), "m.toml").value();
  };
  Permissions parent = Permissions::FromManifest(manifest("random", "max_bytes = 16\nseed = 7"));
  auto child = Permissions::ForChild(parent, {}, manifest("random", ""));
  ASSERT_TRUE(child.ok()) << child.error();
  EXPECT_EQ((*child->Settings("random"))["max_bytes"], 16);
  EXPECT_FALSE(child->Settings("random")->contains("seed"));
  auto supervisor = Permissions::ForChild(Permissions::FromManifest(manifest("supervisor", "max_children = 2")), {},
                                          manifest("supervisor", ""));
  ASSERT_TRUE(supervisor.ok()) << supervisor.error();
  EXPECT_EQ((*supervisor->Settings("supervisor"))["max_children"], 2);
}

// An allow list a parent does not have grants nothing: a child cannot list stores, hosts or
// programs of its own choosing under a parent that has none.
TEST_F(SupervisionTest, AChildCannotWidenAnAllowListItsParentLacks) {
  auto manifest = [&](const std::string& handler, const std::string& settings) {
    std::string text = "name = \"m\"\nversion = \"1\"\ncomponent = \"" + Guest("dice.wasm").string() +
                       "\"\n[[handler]]\ntype = \"" + handler + "\"\n" + settings + "\n";
    return ParseManifest(text, dir_.path(), "m.toml").value();
  };
  auto store = Permissions::ForChild(Permissions::FromManifest(manifest("store", "")), {},
                                     manifest("store", "stores = [\"00000000-0000-4000-8000-000000000000\"]"));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().find("the parent has no `stores`"), std::string::npos) << store.error();
  EXPECT_FALSE(Permissions::ForChild(Permissions::FromManifest(manifest("process", "")), {},
                                     manifest("process", "allowed_programs = [\"sh\"]"))
                   .ok());
  EXPECT_TRUE(Permissions::ForChild(Permissions::FromManifest(manifest("process", "allowed_programs = [\"sh\", \"cat\"]")),
                                    {}, manifest("process", "allowed_programs = [\"cat\"]"))
                  .ok());
}

TEST_F(SupervisionTest, ResumeFromTheStateRecordedAtAnEarlierEvent) {
  std::string first = Spawn("counter.wat");
  for (int i = 0; i < 5; ++i) Ask(first, "x");  // state "5"
  auto events = Events(first);
  // The result of the third request.
  size_t seq = 0, results = 0;
  for (; seq < events.size(); ++seq)
    if (events[seq].type == "wasm/result" && ++results == 4) break;  // init, then 3 requests
  auto snapshots = system_->Snapshots(first).value();
  auto state = StateAtEvent(events, seq, *snapshots);
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_EQ(ToString(**state), "3");
  auto manifest = MakeManifest("counter.wat");
  std::string resumed = system_->Resume(manifest, *state).value();
  EXPECT_EQ(Ask(resumed, "x"), "4");
  EXPECT_FALSE(StateAtEvent(events, 10000, *snapshots).ok());
}

}  // namespace
}  // namespace theater

namespace theater {
namespace {

// Every host call is checked against the caller's permissions, even when the start-time
// import check is bypassed (here: an instance made directly, for an actor without the
// `runtime` handler).
TEST(Permissions, DeniedHostCallIsAnErrorToTheActorAndAnEvent) {
  auto engine = testing::SharedEngine();
  Manifest manifest = SystemTest::MakeManifest(testing::Guest("runtime-probe.wasm"), {"message-server"});
  ActorContext context(nullptr, "probe", manifest, Permissions::FromManifest(manifest), nullptr);
  auto component = engine->LoadComponentFile(testing::Guest("runtime-probe.wasm")).value();
  auto created = Instance::Create(engine, component, {}, &context);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Instance>>(created));
  Instance& instance = *std::get<std::unique_ptr<Instance>>(created);
  // shutdown returns result<_, string>: the actor gets err(...) and carries on.
  StateCallOutcome out = CallWithState(instance, "theater:simple/message-server-client", "handle-request",
                                       std::string(contract::kHandleRequest), std::nullopt,
                                       ValueList{Value::String("r"), Value::BytesValue(ToBytes("shutdown"))});
  ASSERT_TRUE(out.ok()) << out.failure().Describe();
  EXPECT_EQ(ToString(out.value().results.at(0).payload().as_bytes()),
            "permission denied: this actor has no `runtime` handler");
  ASSERT_EQ(context.chain().size(), 1u);
  const ChainEvent& denied = context.chain().events()[0];
  EXPECT_EQ(denied.type, "theater:simple/runtime/shutdown");
  EXPECT_EQ(nlohmann::json::from_cbor(denied.data)["denied"], "permission denied: this actor has no `runtime` handler");
  EXPECT_FALSE(context.shutdown_requested());
  // get-state returns a plain list: a denied call fails the call instead.
  out = CallWithState(instance, "theater:simple/message-server-client", "handle-request",
                      std::string(contract::kHandleRequest), std::nullopt,
                      ValueList{Value::String("r"), Value::BytesValue(ToBytes("state"))});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure().kind, FailureKind::kHostError);
  EXPECT_NE(out.failure().message.find("permission denied"), std::string::npos);
}

}  // namespace
}  // namespace theater
