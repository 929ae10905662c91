// States by digest (docs/chain-format.md, sections 3.1 and 6.1): the chain names each state
// by SHA-256 and size, the bytes go once to the snapshot file beside it. A large state
// (kBig) survives everything that reads recorded states — a restart with the last good
// state, a server killed with SIGKILL and brought back, a resume at an earlier event, an
// export read in a fresh data directory, a replay — with the same digests; a changed
// snapshot is caught by verify and by replay; the chain stays small whatever the state's
// size; and an unchanged state is not written again.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "chain/byte_io.h"
#include "chain/chain_image.h"
#include "chain/snapshot_file.h"
#include "chain/state_ref.h"
#include "process_util.h"
#include "runtime/chain_state.h"
#include "runtime/replay.h"
#include "server/client.h"
#include "storage/chain_store.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::RunTheater;

// A large state (8 MiB; it crosses the sandbox in bulk, engine/slots.h).
constexpr uint64_t kBig = 8ull << 20;
constexpr auto kSlow = std::chrono::seconds(60);  // a turn that moves a large state each way

// The messenger (tests/guests/messenger.c: "grow N" adds N bytes to its state, "set TEXT"
// replaces it, "echo TEXT" leaves it) with room for a large state.
std::string BigMessengerToml(const std::filesystem::path& component = Guest("messenger.wasm")) {
  return "name = \"big\"\nversion = \"1\"\ncomponent = \"" + component.string() +
         "\"\n[limits]\nmax_memory_bytes = 268435456\ncall_timeout_ms = 60000\n"
         "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
}

using testing::Data;

// The state each event names, in order (only the events that name one).
std::vector<std::pair<uint64_t, std::optional<StateRef>>> StatesOf(const std::vector<ChainEvent>& events) {
  std::vector<std::pair<uint64_t, std::optional<StateRef>>> out;
  for (const ChainEvent& e : events) {
    auto recorded = StateRecordedBy(e);
    EXPECT_TRUE(recorded.ok()) << recorded.error();
    if (recorded.ok() && recorded->sets) out.emplace_back(e.seq, recorded->ref);
  }
  return out;
}

// The seq of the last wasm/result at or before the end whose state has `size` bytes.
std::optional<uint64_t> LastResultOfSize(const std::vector<ChainEvent>& events, uint64_t size) {
  std::optional<uint64_t> seq;
  for (const auto& [s, ref] : StatesOf(events))
    if (events[s].type == "wasm/result" && ref && ref->size == size) seq = s;
  return seq;
}

void FlipByte(const std::filesystem::path& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c ^= 0x5a;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

class StateSnapshotTest : public testing::SystemTest {
 protected:
  std::filesystem::path ChainDir() const { return dir_.path() / "chains"; }
  std::filesystem::path ChainPath(const std::string& id) const { return ChainDir() / (id + ".chain"); }
  std::filesystem::path SnapshotPath(const std::string& id) const { return SnapshotPathFor(ChainPath(id)); }

  Manifest BigManifest() {
    testing::WriteText(dir_ / "big.toml", BigMessengerToml());
    auto m = LoadManifest(dir_ / "big.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return *m;
  }
  std::string SpawnBig() {
    auto id = system_->Spawn(BigManifest());
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }
  std::string AskSlow(const std::string& id, const std::string& text) { return Ask(id, text, kSlow); }

  // The reference to the actor's current state.
  std::optional<StateRef> CurrentRef(const std::string& id) { return OptionalStateRefOf(system_->Info(id)->state); }

  // Stops the actor and returns its chain as read back from disk (verified, snapshots too).
  std::vector<ChainEvent> StopAndRead(const std::string& id) {
    EXPECT_TRUE(system_->Stop(id).ok());
    EXPECT_TRUE(WaitStopped(id));
    auto image = ReadChainImage(ChainPath(id));
    EXPECT_TRUE(image.ok()) << image.error();
    if (!image.ok()) return {};
    std::vector<ChainEvent> events;
    ChainVerification v = VerifyChainImage(*image, std::nullopt, &events);
    EXPECT_TRUE(v.ok()) << v.chain.reason << (v.snapshots ? " / " + v.snapshots->reason : "");
    return events;
  }

  // `events` (the chain of `id`) replay identically with the actor's snapshots; then its
  // export, made to `exported`, verifies with `snapshots` snapshots and replays in the
  // fresh data directory `fresh`.
  void ExpectReplayAndExport(const std::string& id, const std::vector<ChainEvent>& events, size_t snapshots,
                             const std::filesystem::path& exported, const std::filesystem::path& fresh) {
    auto file = Snapshots(id);
    ASSERT_TRUE(file);
    ReplayOptions options;
    options.snapshots = file.get();
    ReplayReport replay = Replay(events, options);
    ASSERT_TRUE(replay.error.empty()) << replay.error;
    EXPECT_TRUE(replay.identical) << replay.divergence->why;

    auto r = RunTheater("chain export " + id + " --out '" + exported.string() + "'", dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.out;
    r = RunTheater("chain verify '" + exported.string() + "'", fresh);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("snapshots: " + std::to_string(snapshots) + " ("), std::string::npos) << r.out;
    r = RunTheater("replay '" + exported.string() + "'", fresh);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("replay identical"), std::string::npos) << r.out;
  }

  std::unique_ptr<SnapshotFile> Snapshots(const std::string& id) {
    auto file = SnapshotFile::Open(SnapshotPath(id));
    EXPECT_TRUE(file.ok()) << file.error();
    return file.ok() ? std::move(*file) : nullptr;
  }
};

TEST_F(StateSnapshotTest, TheChainStaysFlatWhileTheStateGrows) {
  std::string id = SpawnBig();
  ASSERT_EQ(AskSlow(id, "grow 1000"), "grown");
  ASSERT_EQ(AskSlow(id, "grow " + std::to_string(kBig)), "grown");
  ASSERT_EQ(AskSlow(id, "grow 1000"), "grown");
  std::vector<ChainEvent> events = StopAndRead(id);
  // The same event with a 1000-byte state and with a large one: the same size, but for the
  // few bytes of the integer that says the size.
  auto small = LastResultOfSize(events, 1000), large = LastResultOfSize(events, kBig + 2000);
  ASSERT_TRUE(small && large);
  EXPECT_LE(events[*large].data.size(), events[*small].data.size() + 4);
  EXPECT_LT(events[*large].data.size(), 200u);
  // The whole chain is a few KiB; the states are in the snapshot file, each once.
  EXPECT_LT(std::filesystem::file_size(ChainPath(id)), 16u * 1024);
  auto snapshots = Snapshots(id);
  ASSERT_TRUE(snapshots);
  EXPECT_EQ(snapshots->index().size(), 3u);  // 1000, kBig + 1000, kBig + 2000 bytes (init keeps none)
  EXPECT_EQ(std::filesystem::file_size(SnapshotPath(id)), 8 + 3 * 40 + 1000 + (kBig + 1000) + (kBig + 2000));
}

TEST_F(StateSnapshotTest, AnUnchangedStateIsNotWrittenAgain) {
  std::string id = SpawnBig();
  ASSERT_EQ(AskSlow(id, "grow " + std::to_string(kBig)), "grown");
  std::optional<StateRef> big = CurrentRef(id);
  ASSERT_TRUE(big);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(AskSlow(id, "echo unchanged"), "unchanged");
  // Back and forth between two states: each is stored once.
  ASSERT_EQ(Ask(id, "set a"), "ok");
  ASSERT_EQ(Ask(id, "set b"), "ok");
  ASSERT_EQ(Ask(id, "set a"), "ok");
  std::vector<ChainEvent> events = StopAndRead(id);
  size_t naming_big = 0;
  for (const auto& [seq, ref] : StatesOf(events)) naming_big += ref == big;
  EXPECT_EQ(naming_big, 4u);  // the grow and three echoes
  auto snapshots = Snapshots(id);
  ASSERT_TRUE(snapshots);
  EXPECT_EQ(snapshots->index().size(), 3u);  // the large one, "a", "b"
  // No record twice: the file is exactly its distinct records.
  EXPECT_EQ(std::filesystem::file_size(SnapshotPath(id)), 8 + 3 * 40 + kBig + 1 + 1);
}

TEST_F(StateSnapshotTest, ALargeStateSurvivesARestartWithTheLastGoodState) {
  // A supervisor's child may name only files in its folder.
  testing::WriteText(dir_ / "child.toml", BigMessengerToml(testing::LocalGuest(dir_.path(), "messenger.wasm")));
  testing::WriteText(dir_ / "boss.toml", "name = \"boss\"\nversion = \"1\"\ncomponent = \"" +
                                             testing::LocalGuest(dir_.path(), "boss.wasm").string() +
                                             "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                                             "[[handler]]\ntype = \"supervisor\"\nrestart_state = \"last-good\"\n");
  auto boss_manifest = LoadManifest(dir_ / "boss.toml");
  ASSERT_TRUE(boss_manifest.ok()) << boss_manifest.error();
  std::string boss = system_->Spawn(*boss_manifest).value();
  std::string answer = Ask(boss, "spawn child.toml");
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  std::string child = answer.substr(4);
  ASSERT_EQ(AskSlow(child, "grow " + std::to_string(kBig)), "grown");
  std::optional<StateRef> good = CurrentRef(child);
  ASSERT_TRUE(good);
  Ask(child, "trap");
  ASSERT_TRUE(testing::WaitUntil([&] {
    auto info = system_->Info(child);
    return info->restarts == 1 && info->status == ActorStatus::kRunning;
  }, kSlow));
  EXPECT_EQ(CurrentRef(child), good);
  std::vector<ChainEvent> events = Events(child);
  auto restarted = std::find_if(events.begin(), events.end(), [](const ChainEvent& e) { return e.type == "theater/actor-restarted"; });
  ASSERT_NE(restarted, events.end());
  EXPECT_EQ(StateRecordedBy(*restarted)->ref, good);
  ASSERT_EQ(AskSlow(child, "grow 1"), "grown");  // it goes on from there
  EXPECT_EQ(CurrentRef(child)->size, kBig + 1);
  // The last good state was not stored again, and the chain reads back whole.
  ASSERT_TRUE(system_->Stop(boss).ok());
  ASSERT_TRUE(WaitStopped(child));
  auto snapshots = Snapshots(child);
  ASSERT_TRUE(snapshots);
  EXPECT_EQ(snapshots->index().size(), 2u);
  auto image = ReadChainImage(ChainPath(child));
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(VerifyChainImage(*image).ok());
}

TEST_F(StateSnapshotTest, ResumeAtAnEarlierEventExportAndReplayInAFreshDataDirectory) {
  std::string id = SpawnBig();
  ASSERT_EQ(AskSlow(id, "grow " + std::to_string(kBig)), "grown");
  std::optional<StateRef> big = CurrentRef(id);
  ASSERT_EQ(AskSlow(id, "set small"), "ok");
  std::vector<ChainEvent> events = StopAndRead(id);
  std::optional<uint64_t> seq = LastResultOfSize(events, kBig);
  ASSERT_TRUE(seq);

  // In this actor system, from its snapshot file.
  auto snapshots = Snapshots(id);
  auto state = StateAtEvent(events, *seq, *snapshots);
  ASSERT_TRUE(state.ok()) << state.error();
  ASSERT_TRUE(*state);
  EXPECT_EQ(OptionalStateRefOf(*state), big);
  std::string resumed = system_->Resume(BigManifest(), *state).value();
  EXPECT_EQ(CurrentRef(resumed), big);
  ASSERT_EQ(AskSlow(resumed, "grow 1"), "grown");
  EXPECT_EQ(StateRecordedBy(Events(resumed)[0])->ref, big);  // its initial_state

  // The replay reads no state but checks each one the chain names against its snapshot.
  // An export carries the snapshots: it verifies, replays and resumes in a fresh data dir.
  std::filesystem::path exported = dir_ / "big.theater-export";
  testing::TempDir fresh;
  ExpectReplayAndExport(id, events, 2, exported, fresh.path());
  auto r = RunTheater("run --json --resume '" + exported.string() + "@" + std::to_string(*seq) + "' '" +
                     (dir_ / "big.toml").string() + "' --request 'grow 1' --timeout 60000",
                 fresh.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string new_id;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "summary") new_id = j.value("actor_id", "");
  }
  ASSERT_FALSE(new_id.empty()) << r.out;
  auto image = ReadChainImage(fresh.path() / "chains" / (new_id + ".chain"));
  ASSERT_TRUE(image.ok()) << image.error();
  std::vector<ChainEvent> fresh_events;
  ASSERT_TRUE(VerifyChainImage(*image, std::nullopt, &fresh_events).ok());
  EXPECT_EQ(StateRecordedBy(fresh_events[0])->ref, big);
  EXPECT_EQ(LastResultOfSize(fresh_events, kBig + 1).has_value(), true);
}

TEST_F(StateSnapshotTest, AChangedSnapshotIsCaughtByVerifyAndByReplay) {
  std::string id = SpawnBig();
  ASSERT_EQ(AskSlow(id, "grow " + std::to_string(kBig)), "grown");
  ASSERT_EQ(AskSlow(id, "set small"), "ok");
  std::vector<ChainEvent> events = StopAndRead(id);
  std::optional<uint64_t> seq = LastResultOfSize(events, kBig);
  ASSERT_TRUE(seq);
  // One byte in the middle of the large state (the first record: init keeps no state).
  FlipByte(SnapshotPath(id), 8 + 40 + kBig / 2);

  auto r = RunTheater("chain verify " + id, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("event " + std::to_string(*seq) + ": "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not match it"), std::string::npos) << r.out;
  r = RunTheater("replay " + id, dir_.path());
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("does not verify"), std::string::npos) << r.out;

  auto snapshots = Snapshots(id);
  ReplayOptions options;
  options.snapshots = snapshots.get();
  ReplayReport replay = Replay(events, options);
  ASSERT_TRUE(replay.error.empty()) << replay.error;
  EXPECT_FALSE(replay.identical);
  ASSERT_TRUE(replay.divergence);
  EXPECT_EQ(replay.divergence->seq, *seq);
  EXPECT_NE(replay.divergence->why.find("does not match it"), std::string::npos) << replay.divergence->why;
  // A missing snapshot file is as clear.
  std::filesystem::remove(SnapshotPath(id));
  r = RunTheater("chain verify " + id, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("has no snapshot of state"), std::string::npos) << r.out;
}

// A payload of kMinBytesByRef or more is recorded like a state: by SHA-256 and size, its
// bytes once in the snapshot file. An export carries them; verify and replay read them;
// changing them is caught.
TEST_F(StateSnapshotTest, LargePayloadsAreRecordedByReferenceAndTravelWithAnExport) {
  std::string id = SpawnBig();
  std::string payload(300 * 1024, 'p');
  ASSERT_EQ(AskSlow(id, "echo " + payload), payload);
  ASSERT_EQ(AskSlow(id, "echo " + payload), payload);  // the same bytes again: no new snapshot
  std::vector<ChainEvent> events = StopAndRead(id);
  size_t calls = 0;
  for (const ChainEvent& e : events) {
    EXPECT_LT(e.data.size(), 1024u) << e.type;
    if (e.type != "wasm/call" || Data(e)["function"] == "theater:simple/actor#init") continue;
    ++calls;
    auto ref = BytesRefIn(Data(e)["params"][1]);
    ASSERT_TRUE(ref) << Data(e).dump();
    EXPECT_EQ(*ref, StateRefOf(ToBytes("echo " + payload)));
  }
  EXPECT_EQ(calls, 2u);
  auto snapshots = Snapshots(id);
  ASSERT_TRUE(snapshots);
  EXPECT_EQ(snapshots->index().size(), 2u);  // the request and the response, once each
  testing::TempDir fresh;
  ExpectReplayAndExport(id, events, 2, dir_ / "payload.theater-export", fresh.path());
  auto r = RunTheater("chain show " + id, dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(ToHex(StateRefOf(ToBytes(payload)).sha256)), std::string::npos);

  // One byte of the response changed in the snapshot file: verify names the event.
  FlipByte(SnapshotPath(id), std::filesystem::file_size(SnapshotPath(id)) - 10);
  r = RunTheater("chain verify " + id, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("does not match it"), std::string::npos) << r.out;
}

TEST_F(StateSnapshotTest, ATornSnapshotRecordIsCutOffAndAMissingStateIsReported) {
  std::string id = SpawnBig();
  ASSERT_EQ(Ask(id, "set one"), "ok");
  std::vector<ChainEvent> events = StopAndRead(id);
  uint64_t whole = std::filesystem::file_size(SnapshotPath(id));
  {
    // A crash in the middle of writing the next state: its record is cut short.
    std::ofstream f(SnapshotPath(id), std::ios::binary | std::ios::app);
    Bytes partial = EncodeSnapshotRecordHeader(StateRefOf(ToBytes("two, never named")));
    PutBytes(partial, ToBytes("two, nev"));
    f.write(reinterpret_cast<const char*>(partial.data()), static_cast<std::streamsize>(partial.size()));
  }
  RecoveryReport recovery = RecoverChainFile(ChainPath(id));
  EXPECT_TRUE(recovery.ok()) << recovery.verify.reason << recovery.snapshots_problem;
  EXPECT_EQ(recovery.dropped_snapshot_bytes, 40u + 8);
  EXPECT_EQ(std::filesystem::file_size(SnapshotPath(id)), whole);

  std::filesystem::resize_file(SnapshotPath(id), 8);  // every state gone
  recovery = RecoverChainFile(ChainPath(id));
  EXPECT_FALSE(recovery.ok());
  EXPECT_NE(recovery.snapshots_problem.find("does not hold"), std::string::npos) << recovery.snapshots_problem;
}

TEST_F(StateSnapshotTest, AChainOfTheOldFormatIsRefusedWithAClearError) {
  std::filesystem::create_directories(ChainDir());
  std::filesystem::path old = ChainDir() / "0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10.chain";
  testing::WriteText(old, "THCHAIN1");
  auto r = RunTheater("chain verify '" + old.string() + "'", dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(old.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("written by an older Theater"), std::string::npos) << r.out;
  r = RunTheater("inspect '" + old.string() + "'", dir_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("written by an older Theater"), std::string::npos) << r.out;
}

// A real server killed with SIGKILL: the actor comes back with its large state, and its
// chain goes on, verifies and replays.
TEST(StateSnapshotServerTest, ALargeStateSurvivesAServerKilledWithSigkill) {
  testing::TempDir dir;
  std::filesystem::path data = dir / "data";
  std::string id;
  auto ask = [](server::Client& c, const std::string& id, const std::string& text) {
    auto r = c.Call({{"RequestActorMessage", {{"id", id}, {"data", text}, {"timeout_ms", 60000}}}});
    if (!r.ok() || !r->contains("RequestedMessage")) return std::string("ERROR");
    std::string s;
    for (const auto& b : (*r)["RequestedMessage"]["message"]) s.push_back(static_cast<char>(b.get<int>()));
    return s;
  };
  {
    testing::TheaterServer server(data);
    ASSERT_FALSE(server.address().empty()) << server.LogText();
    auto client = server::Client::Connect(server.address()).value();
    auto started = client->Call({{"StartActor", {{"manifest", BigMessengerToml()}}}});
    ASSERT_TRUE(started.ok() && started->contains("ActorStarted")) << (started.ok() ? started->dump() : started.error());
    id = (*started)["ActorStarted"]["id"];
    ASSERT_EQ(ask(*client, id, "grow " + std::to_string(kBig)), "grown");
    ASSERT_EQ(ask(*client, id, "grow 1"), "grown");
    EXPECT_EQ(server.process().Signal(SIGKILL), 128 + SIGKILL);
  }
  {
    testing::TheaterServer server(data);
    ASSERT_FALSE(server.address().empty()) << server.LogText();
    auto client = server::Client::Connect(server.address()).value();
    auto info = client->Call(nlohmann::json("GetServerInfo"));
    ASSERT_TRUE(info.ok());
    EXPECT_EQ((*info)["ServerInfo"]["revived"], 1) << info->dump() << server.LogText();
    ASSERT_EQ(ask(*client, id, "grow 1"), "grown");
    EXPECT_EQ(server.process().Signal(SIGTERM), 0);
  }
  std::filesystem::path chain = data / "chains" / (id + ".chain");
  auto image = ReadChainImage(chain);
  ASSERT_TRUE(image.ok()) << image.error();
  std::vector<ChainEvent> events;
  ChainVerification v = VerifyChainImage(*image, std::nullopt, &events);
  ASSERT_TRUE(v.ok()) << v.chain.reason << (v.snapshots ? v.snapshots->reason : "");
  // It came back with the state the last result before the kill named, and went on.
  auto resumed = std::find_if(events.begin(), events.end(), [](const ChainEvent& e) { return e.type == "theater/actor-resumed"; });
  ASSERT_NE(resumed, events.end());
  auto before = StateRefAtEvent(events, resumed->seq - 1);
  ASSERT_TRUE(before.ok() && *before);
  EXPECT_EQ((*before)->size, kBig + 1);
  EXPECT_EQ(StateRecordedBy(*resumed)->ref, *before);
  EXPECT_TRUE(LastResultOfSize(events, kBig + 2).has_value());
  auto r = RunTheater("replay " + id, data);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("replay identical"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace theater
