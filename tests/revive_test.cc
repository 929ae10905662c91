// ActorSystem::Revive: actors come back in a new actor system (a restarted server) with
// their id, parent and chain, from their last good state, without init; and the
// lifecycle hook that tells a server what to bring back.
#include "chain/chain_image.h"
#include "chain/snapshot_file.h"
#include "common/uuid.h"
#include "runtime/chain_state.h"
#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;
using Kind = LifecycleEvent::Kind;

using testing::Data;

class ReviveTest : public SystemTest {
 protected:
  void Configure(SystemOptions& options) override {
    options.on_lifecycle = [this](const LifecycleEvent& e) {
      std::lock_guard lock(mu_);
      lifecycle_.push_back(e);
    };
  }

  std::filesystem::path ChainDir() const { return dir_.path() / "chains"; }

  // Ends the current actor system and starts a new one on `chain_dir` (default: the same):
  // what a server does when it starts again.
  void NewSystem(std::optional<std::filesystem::path> chain_dir = std::nullopt) {
    system_->Shutdown();
    system_.reset();
    SystemOptions options;
    options.chain_dir = chain_dir.value_or(ChainDir());
    options.workers = 2;
    Configure(options);
    system_ = ActorSystem::Create(testing::SharedEngine(), options).value();
  }

  // The verified events of `id`'s chain file, checkpoints included.
  std::vector<ChainEvent> ReadChain(const std::string& id, std::optional<std::filesystem::path> chain_dir = std::nullopt) {
    auto image = ReadChainImage(chain_dir.value_or(ChainDir()) / (id + ".chain"));
    EXPECT_TRUE(image.ok()) << image.error();
    if (!image.ok()) return {};
    std::vector<ChainEvent> events;
    ChainVerification v = VerifyChainImage(*image, std::nullopt, &events);
    EXPECT_TRUE(v.ok()) << v.chain.reason << (v.checkpoints ? " / " + v.checkpoints->reason : "");
    return events;
  }

  // The snapshot file beside `id`'s chain file.
  std::unique_ptr<SnapshotFile> Snapshots(const std::string& id, std::optional<std::filesystem::path> chain_dir = std::nullopt) {
    auto file = SnapshotFile::Open(SnapshotPathFor(chain_dir.value_or(ChainDir()) / (id + ".chain")));
    EXPECT_TRUE(file.ok()) << file.error();
    return file.ok() ? std::move(*file) : nullptr;
  }

  // Revives `id` from its chain file, from its last good state.
  Result<std::string> ReviveFromFile(const std::string& id, const std::string& parent, const Manifest& manifest,
                                     std::optional<std::filesystem::path> chain_dir = std::nullopt) {
    auto events = ReadChain(id, chain_dir);
    auto state = LastGoodState(events, *Snapshots(id, chain_dir));
    if (!state.ok()) return state.status();
    return system_->Revive(id, parent, manifest, std::move(events), std::move(*state), "server restarted");
  }

  void ExpectReplayIdentical(const std::vector<ChainEvent>& events,
                             std::optional<std::filesystem::path> chain_dir = std::nullopt) {
    // A revival starts again from a recorded state: its bytes come from the snapshot file.
    auto snapshots = Snapshots(Data(events.at(0))["actor_id"], chain_dir);
    ReplayOptions options;
    options.snapshots = snapshots.get();
    ReplayReport r = Replay(events, options);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_TRUE(r.identical) << "diverges at " << r.divergence->seq << ": " << r.divergence->why;
    EXPECT_EQ(r.events, events.size());
  }

  // Writes the first `n` events as `id`'s chain file in `chain_dir` (no checkpoints): what
  // a crash leaves behind.
  void WriteCutChain(const std::filesystem::path& chain_dir, const std::string& id,
                     const std::vector<ChainEvent>& events, size_t n) {
    std::filesystem::create_directories(chain_dir);
    auto writer = ChainFileWriter::Create(chain_dir / (id + ".chain"));
    ASSERT_TRUE(writer.ok()) << writer.error();
    for (size_t i = 0; i < n; ++i) ASSERT_TRUE((*writer)->Append(events[i]).ok());
    // The snapshot file is written before the chain: a crash leaves every state (and maybe
    // more than the cut chain names).
    std::filesystem::copy_file(SnapshotPathFor(ChainDir() / (id + ".chain")), SnapshotPathFor(chain_dir / (id + ".chain")),
                               std::filesystem::copy_options::overwrite_existing);
  }

  std::vector<LifecycleEvent> Lifecycle() {
    std::lock_guard lock(mu_);
    return lifecycle_;
  }
  // The lifecycle events of `id`, as "kind[/origin]" strings.
  std::vector<std::string> LifecycleOf(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& e : Lifecycle()) {
      if (e.id != id) continue;
      switch (e.kind) {
        case Kind::kStarted: out.push_back("started"); break;
        case Kind::kRevived: out.push_back("revived"); break;
        case Kind::kRestarted: out.push_back("restarted"); break;
        case Kind::kFinished:
          out.push_back(std::string(e.failed ? "failed" : "finished") +
                        (e.origin == StopOrigin::kShutdown  ? "/shutdown"
                         : e.origin == StopOrigin::kOutside ? "/outside"
                         : e.origin == StopOrigin::kParent  ? "/parent"
                                                            : "/other"));
          break;
      }
    }
    return out;
  }

  std::filesystem::path WriteBoss() {
    testing::WriteText(dir_ / "child.toml", "name = \"child\"\nversion = \"1\"\ncomponent = \"" +
                                                testing::LocalGuest(dir_.path(), "messenger.wasm").string() +
                                                "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
    testing::WriteText(dir_ / "boss.toml", "name = \"boss\"\nversion = \"1\"\ncomponent = \"" +
                                               Guest("boss.wasm").string() +
                                               "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                                               "[[handler]]\ntype = \"supervisor\"\nmax_restarts = 5\n");
    return dir_ / "boss.toml";
  }

  std::vector<LifecycleEvent> lifecycle_;
};

TEST_F(ReviveTest, RevivedActorGoesOnWithItsStateAndItsChain) {
  std::string id = SpawnMessenger();
  ASSERT_TRUE(system_->Send(id, ToBytes("one")).ok());
  ASSERT_TRUE(system_->Send(id, ToBytes("two")).ok());
  EXPECT_EQ(Ask(id, "transcript"), "send:one\nsend:two\n");
  system_->WaitIdle(std::chrono::seconds(5));
  NewSystem();

  std::vector<ChainEvent> before = ReadChain(id);
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before.back().type, "theater/actor-stopped");
  auto revived = ReviveFromFile(id, "", MakeManifest(Guest("messenger.wasm")));
  ASSERT_TRUE(revived.ok()) << revived.error();
  EXPECT_EQ(*revived, id);
  EXPECT_EQ(Ask(id, "transcript"), "send:one\nsend:two\n");
  ASSERT_TRUE(system_->Send(id, ToBytes("three")).ok());
  EXPECT_EQ(Ask(id, "transcript"), "send:one\nsend:two\nsend:three\n");
  auto info = system_->Info(id).value();
  EXPECT_EQ(info.status, ActorStatus::kRunning);
  EXPECT_TRUE(info.parent.empty());
  EXPECT_EQ(info.chain_path, ChainDir() / (id + ".chain"));

  // The chain in memory is the old one, then theater/actor-resumed, then no init.
  auto events = Events(id);
  ASSERT_GT(events.size(), before.size() + 2);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), events.begin()));
  const ChainEvent& resumed = events[before.size()];
  EXPECT_EQ(resumed.type, "theater/actor-resumed");
  EXPECT_EQ(resumed.seq, before.size());
  EXPECT_EQ(resumed.parent, before.back().hash);
  EXPECT_EQ(Data(resumed)["reason"], "server restarted");
  EXPECT_EQ(Data(resumed)["state"]["sha256"], ToHex(Sha256(ToBytes("send:one\nsend:two\n"))));
  EXPECT_EQ(Data(resumed)["after"], before.size() - 1);
  EXPECT_EQ(events[before.size() + 1].type, "wasm/call");
  EXPECT_EQ(Data(events[before.size() + 1])["function"], "theater:simple/message-server-client#handle-request");

  // On disk: one chain, verified end to end (checkpoints too), which replays identically.
  NewSystem();
  std::vector<ChainEvent> after = ReadChain(id);
  ASSERT_EQ(after.size(), events.size() + 1);  // and the stop at shutdown
  EXPECT_TRUE(std::equal(events.begin(), events.end(), after.begin()));
  EXPECT_EQ(after.back().type, "theater/actor-stopped");
  EXPECT_EQ(StateAtEvent(after, before.size(), *Snapshots(id)).value(), ToBytes("send:one\nsend:two\n"));
  EXPECT_EQ(LastGoodState(after, *Snapshots(id)).value(), ToBytes("send:one\nsend:two\nsend:three\n"));
  ExpectReplayIdentical(after);

  // And again: a second revival continues the same chain.
  auto again = ReviveFromFile(id, "", MakeManifest(Guest("messenger.wasm")));
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(Ask(id, "transcript"), "send:one\nsend:two\nsend:three\n");
  NewSystem();
  auto twice = ReadChain(id);
  EXPECT_TRUE(std::equal(after.begin(), after.end(), twice.begin()));
  ExpectReplayIdentical(twice);
}

TEST_F(ReviveTest, KeyValueExampleComesBackWithItsMap) {
  auto manifest = LoadManifest(testing::Example("kv-cpp/manifest.toml")).value();
  std::string kv = system_->Spawn(manifest).value();
  Ask(kv, "set a 1");
  Ask(kv, "set b 2");
  EXPECT_EQ(Ask(kv, "keys"), "a,b");
  system_->WaitIdle(std::chrono::seconds(5));
  NewSystem();
  auto revived = ReviveFromFile(kv, "", manifest);
  ASSERT_TRUE(revived.ok()) << revived.error();
  EXPECT_EQ(Ask(kv, "get a"), "1");
  EXPECT_EQ(Ask(kv, "set c 3"), "ok");
  EXPECT_EQ(Ask(kv, "keys"), "a,b,c");
  NewSystem();
  ExpectReplayIdentical(ReadChain(kv));
}

TEST_F(ReviveTest, SupervisorAndChildComeBackParentFirst) {
  auto boss_manifest = LoadManifest(WriteBoss()).value();
  std::string boss = system_->Spawn(boss_manifest).value();
  std::string answer = Ask(boss, "spawn child.toml");
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  std::string child = answer.substr(4);
  EXPECT_EQ(Ask(child, "set kid"), "ok");
  system_->WaitIdle(std::chrono::seconds(5));
  NewSystem();

  auto child_events = ReadChain(child);
  auto child_manifest = LoadManifest(ManifestOf(child_events).value()).value();
  // A child before its parent: refused.
  auto early = ReviveFromFile(child, boss, child_manifest);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().find("revive parents first"), std::string::npos) << early.error();

  ASSERT_TRUE(ReviveFromFile(boss, "", boss_manifest).ok());
  auto revived = ReviveFromFile(child, boss, child_manifest);
  ASSERT_TRUE(revived.ok()) << revived.error();
  EXPECT_TRUE(system_->IsChildOf(child, boss));
  EXPECT_EQ(system_->Info(child).value().parent, boss);
  EXPECT_EQ(Ask(boss, "children"), child);
  EXPECT_EQ(Ask(boss, "state " + child), "ok: kid");
  EXPECT_EQ(Ask(child, "transcript"), "kid");
  // Supervision works as before: the child fails, its parent hears of it and restarts it.
  Ask(child, "fail");
  for (int i = 0; i < 500 && system_->Info(child).value().restarts < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(system_->Info(child).value().restarts, 1u);
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_NE(Ask(boss, "transcript").find("error " + child), std::string::npos);
  // Stopping the parent stops the child first.
  ASSERT_TRUE(system_->Stop(boss).ok());
  ASSERT_TRUE(WaitStopped(boss));
  EXPECT_EQ(system_->Info(child).value().status, ActorStatus::kStopped);

  NewSystem();
  ExpectReplayIdentical(ReadChain(boss));
  ExpectReplayIdentical(ReadChain(child));
}

TEST_F(ReviveTest, RefusesWhatCannotBeRevived) {
  std::string id = SpawnMessenger();
  Ask(id, "set x");
  system_->WaitIdle(std::chrono::seconds(5));
  NewSystem();
  auto events = ReadChain(id);
  Manifest m = MakeManifest(Guest("messenger.wasm"));

  auto no_events = system_->Revive(id, "", m, {}, std::nullopt, "r");
  EXPECT_FALSE(no_events.ok());
  auto headless = system_->Revive(id, "", m, std::vector<ChainEvent>(events.begin() + 1, events.end()), std::nullopt, "r");
  EXPECT_FALSE(headless.ok());
  EXPECT_NE(headless.error().find("theater/actor-started"), std::string::npos) << headless.error();
  auto not_an_id = system_->Revive("../x", "", m, events, std::nullopt, "r");
  EXPECT_FALSE(not_an_id.ok());
  std::string other = NewUuidV4();
  auto someone_else = system_->Revive(other, "", m, events, std::nullopt, "r");
  ASSERT_FALSE(someone_else.ok());
  EXPECT_NE(someone_else.error().find("another actor's"), std::string::npos) << someone_else.error();
  // Events that are not what the file holds (its last events missing): its chain would fork.
  auto short_of_file = system_->Revive(id, "", m, std::vector<ChainEvent>(events.begin(), events.end() - 1),
                                       std::nullopt, "r");
  ASSERT_FALSE(short_of_file.ok());
  EXPECT_NE(short_of_file.error().find("does not end with"), std::string::npos) << short_of_file.error();
  // Events that do not link.
  auto broken = events;
  broken[1].data.push_back(0);
  auto unlinked = system_->Revive(id, "", m, broken, std::nullopt, "r");
  ASSERT_FALSE(unlinked.ok());
  EXPECT_NE(unlinked.error().find("cannot go on"), std::string::npos) << unlinked.error();
  auto missing_parent = system_->Revive(id, NewUuidV4(), m, events, std::nullopt, "r");
  ASSERT_FALSE(missing_parent.ok());
  EXPECT_NE(missing_parent.error().find("not running"), std::string::npos) << missing_parent.error();
  EXPECT_TRUE(system_->List().empty());  // none of these left anything behind

  ASSERT_TRUE(system_->Revive(id, "", m, events, ToBytes("x"), "r").ok());
  auto live = system_->Revive(id, "", m, events, ToBytes("x"), "r");
  ASSERT_FALSE(live.ok());
  EXPECT_NE(live.error().find("already"), std::string::npos) << live.error();
  EXPECT_EQ(Ask(id, "transcript"), "x");
  NewSystem();
  ExpectReplayIdentical(ReadChain(id));
}

// A crash leaves no theater/actor-stopped, and may cut the last turn anywhere: before its
// result, right after its call, or after one of its host calls. The revived chain verifies
// and replays identically in every case, and the actor goes on from its last good state.
TEST_F(ReviveTest, ChainCutByACrashRevivesAndReplays) {
  std::string id = SpawnMessenger(), other = SpawnMessenger();
  ASSERT_TRUE(system_->Send(id, ToBytes("one")).ok());
  EXPECT_EQ(Ask(id, "send " + other + " ping"), "ok");
  EXPECT_EQ(Ask(id, "set changed"), "ok");
  system_->WaitIdle(std::chrono::seconds(5));
  NewSystem();
  auto events = ReadChain(id);
  ASSERT_EQ(events.back().type, "theater/actor-stopped");

  auto last_of = [&](const std::string& type) {
    for (size_t i = events.size(); i-- > 0;)
      if (events[i].type == type) return i;
    ADD_FAILURE() << "no " << type;
    return size_t{0};
  };
  size_t host_send = last_of("theater:simple/message-server-host/send");
  ASSERT_EQ(events[host_send - 1].type, "wasm/call");
  struct Cut {
    std::string name;
    size_t keep;
    std::string state;
  } cuts[] = {
      {"no-stop", events.size() - 1, "changed"},
      {"before-result", last_of("wasm/result"), "send:one\n"},
      {"after-call", host_send, "send:one\n"},
      {"after-host-call", host_send + 1, "send:one\n"},
  };
  Manifest m = MakeManifest(Guest("messenger.wasm"));
  for (const Cut& cut : cuts) {
    SCOPED_TRACE(cut.name);
    std::filesystem::path dir = dir_.path() / ("cut-" + cut.name);
    WriteCutChain(dir, id, events, cut.keep);
    NewSystem(dir);
    auto revived = ReviveFromFile(id, "", m, dir);
    ASSERT_TRUE(revived.ok()) << revived.error();
    EXPECT_EQ(Ask(id, "transcript"), cut.state);
    ASSERT_TRUE(system_->Send(id, ToBytes("more")).ok());
    EXPECT_EQ(Ask(id, "transcript"), cut.state + "send:more\n");
    NewSystem(dir);
    auto chain = ReadChain(id, dir);
    ASSERT_GT(chain.size(), cut.keep);
    EXPECT_EQ(chain[cut.keep].type, "theater/actor-resumed");
    ExpectReplayIdentical(chain, dir);
  }
}

TEST_F(ReviveTest, LifecycleHookTellsStartsRestartsAndFinishes) {
  std::string a = SpawnMessenger();
  ASSERT_TRUE(system_->Stop(a).ok());
  ASSERT_TRUE(WaitStopped(a));
  EXPECT_EQ(LifecycleOf(a), (std::vector<std::string>{"started", "finished/outside"}));

  std::string boss = system_->Spawn(LoadManifest(WriteBoss()).value()).value();
  std::string answer = Ask(boss, "spawn child.toml");
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  std::string child = answer.substr(4);
  Ask(child, "fail");
  for (int i = 0; i < 500 && system_->Info(child).value().restarts < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  system_->WaitIdle(std::chrono::seconds(5));
  EXPECT_EQ(LifecycleOf(child), (std::vector<std::string>{"started", "failed/outside", "restarted"}));
  std::string survivor = SpawnMessenger();
  NewSystem();  // shuts the first system down
  EXPECT_EQ(LifecycleOf(boss), (std::vector<std::string>{"started", "finished/shutdown"}));
  // The child stopped because its parent did, in the shutdown: it was running all the same.
  EXPECT_EQ(LifecycleOf(child), (std::vector<std::string>{"started", "failed/outside", "restarted", "finished/shutdown"}));
  EXPECT_EQ(LifecycleOf(survivor), (std::vector<std::string>{"started", "finished/shutdown"}));

  auto events = Lifecycle();
  auto started_child = std::find_if(events.begin(), events.end(),
                                    [&](const LifecycleEvent& e) { return e.id == child && e.kind == Kind::kStarted; });
  ASSERT_NE(started_child, events.end());
  EXPECT_EQ(started_child->parent, boss);
  EXPECT_EQ(started_child->manifest, dir_ / "child.toml");

  ASSERT_TRUE(ReviveFromFile(survivor, "", MakeManifest(Guest("messenger.wasm"))).ok());
  events = Lifecycle();
  EXPECT_EQ(events.back().kind, Kind::kRevived);
  EXPECT_EQ(events.back().id, survivor);
  EXPECT_EQ(events.back().reason, "server restarted");
}

}  // namespace
}  // namespace theater
