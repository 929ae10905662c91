// Restarts of a real `theater server` process on the same data directory: killed with
// SIGKILL (no shutdown at all), then stopped with SIGTERM (a clean one). Each time the
// actors that were running come back under their ids and parents, with the state their
// chains recorded, and their chains go on; every chain verifies and replays. An actor
// stopped before does not come back, and --fresh forgets them all (docs/protocol.md §10).
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <map>
#include <thread>

#include "process_util.h"
#include "server/client.h"
#include "server_test_util.h"

namespace theater {
namespace {

using server::json;
using testing::Example;
using testing::WaitUntil;
using testing::MessengerManifest;
using testing::RunTheater;
using testing::TempDir;
using testing::TheaterServer;

constexpr int kKilled = 128 + SIGKILL;

struct ActorInfo {
  std::string name, status, parent;
  uint64_t restarts = 0, events = 0;
};

// A protocol connection to a server process, with the calls the tests make.
class Session {
 public:
  explicit Session(const std::string& address) {
    auto c = server::Client::Connect(address);
    EXPECT_TRUE(c.ok()) << c.error();
    if (c.ok()) client_ = std::move(*c);
  }
  bool connected() const { return client_ != nullptr; }

  // The body of the response to `command`, which must be tagged `tag` (else null).
  json Expect(const json& command, const std::string& tag) {
    if (!client_) return json();
    auto r = client_->Call(command);
    EXPECT_TRUE(r.ok()) << command.dump() << ": " << r.error();
    if (!r.ok()) return json();
    EXPECT_TRUE(r->contains(tag)) << command.dump() << " -> " << r->dump();
    return r->contains(tag) ? (*r)[tag] : json();
  }

  std::string Start(const std::string& manifest) {
    return Expect({{"StartActor", {{"manifest", manifest}}}}, "ActorStarted").value("id", "");
  }

  // The text of the actor's response to `text`, or "ERROR: ...".
  std::string Ask(const std::string& id, const std::string& text) {
    if (!client_) return "ERROR: not connected";
    auto r = client_->Call({{"RequestActorMessage", {{"id", id}, {"data", text}}}});
    if (!r.ok()) return "ERROR: " + r.error();
    if (!r->contains("RequestedMessage")) return "ERROR: " + r->dump();
    std::string s;
    for (const json& b : (*r)["RequestedMessage"]["message"]) s.push_back(static_cast<char>(b.get<int>()));
    return s;
  }

  std::map<std::string, ActorInfo> Actors() {
    std::map<std::string, ActorInfo> actors;
    json list = Expect("ListActors", "ActorList");
    if (!list.is_object()) return actors;
    for (const json& a : list["actors"]) {
      ActorInfo& info = actors[a.value("id", "")];
      info.name = a.value("name", "");
      info.status = a.value("status", "");
      info.parent = a["parent"].is_string() ? a["parent"].get<std::string>() : "";
      info.restarts = a.value("restarts", uint64_t{0});
      info.events = a.value("events", uint64_t{0});
    }
    return actors;
  }

  json Events(const std::string& id) {
    json events = Expect({{"GetActorEvents", {{"id", id}}}}, "ActorEvents");
    return events.is_object() ? events["events"] : json::array();
  }

  json Info() { return Expect("GetServerInfo", "ServerInfo"); }

 private:
  std::unique_ptr<server::Client> client_;
};

// The seqs of the events of `type` in `events`.
std::vector<uint64_t> SeqsOf(const json& events, const std::string& type) {
  std::vector<uint64_t> seqs;
  for (const json& e : events)
    if (e.value("type", "") == type) seqs.push_back(e.value("seq", uint64_t{0}));
  return seqs;
}

// The seqs of `events` are 0, 1, 2, ... with no gap.
bool Contiguous(const json& events) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].value("seq", uint64_t{0}) != i) return false;
  return true;
}

class ServerRestartTest : public ::testing::Test {
 protected:
  // A server on data_ (args after `server --listen 127.0.0.1:0`); asserts it is listening.
  std::unique_ptr<TheaterServer> StartServer(const std::vector<std::string>& args = {}) {
    auto server = std::make_unique<TheaterServer>(data_, args);
    EXPECT_FALSE(server->address().empty()) << "the server did not start:\n" << server->LogText();
    EXPECT_EQ(server->data_dir_printed(), data_.string());
    return server;
  }

  // Waits until every actor `expected` lists is listed running, with that parent.
  static bool AllRunning(Session& s, const std::map<std::string, ActorInfo>& expected) {
    return WaitUntil([&] {
      auto actors = s.Actors();
      for (const auto& [id, info] : expected)
        if (!actors.count(id) || actors[id].status != "running" || actors[id].parent != info.parent) return false;
      return true;
    });
  }

  static std::string KvManifest() { return std::filesystem::absolute(Example("kv-cpp/manifest.toml")).string(); }
  static std::string SupervisorManifest() {
    return std::filesystem::absolute(Example("supervision/supervisor.toml")).string();
  }

  TempDir dir_;
  std::filesystem::path data_ = dir_ / "data";
};

TEST_F(ServerRestartTest, ActorsComeBackAfterAKillAndAfterACleanStop) {
  std::string kv, sup, messenger;
  std::map<std::string, ActorInfo> before;
  uint64_t kv_events_before = 0, messenger_events_before = 0;
  std::string first_worker, second_worker;  // "worker " and the first 8 characters of its id

  // The first server: three actors (the supervisor starts two workers), state changed.
  {
    auto server = StartServer();
    ASSERT_FALSE(server->address().empty());
    Session s(server->address());
    ASSERT_TRUE(s.connected());
    kv = s.Start(KvManifest());
    sup = s.Start(SupervisorManifest());
    messenger = s.Start(MessengerManifest());
    ASSERT_FALSE(kv.empty() || sup.empty() || messenger.empty());
    // The supervisor's init spawns its workers, after StartActor has answered.
    ASSERT_TRUE(WaitUntil([&] {
      size_t children = 0;
      for (const auto& [id, info] : s.Actors()) children += info.parent == sup && info.status == "running";
      return children == 2;
    })) << "the supervisor's workers did not start";
    for (int i = 0; i < 20; ++i)
      ASSERT_EQ(s.Ask(kv, "set k" + std::to_string(i) + " v" + std::to_string(i)), "ok");
    ASSERT_EQ(s.Ask(messenger, "set said before the kill"), "ok");
    ASSERT_EQ(s.Ask(messenger, "transcript"), "said before the kill");
    // The supervisor hands jobs to its workers in turn: "worker ABCDEF01: 2 squared is 4".
    std::string first = s.Ask(sup, "job 2"), second = s.Ask(sup, "job 4");
    EXPECT_NE(first.find(": 2 squared is 4"), std::string::npos) << first;
    EXPECT_NE(second.find(": 4 squared is 16"), std::string::npos) << second;
    first_worker = first.substr(0, std::string("worker 01234567").size());
    second_worker = second.substr(0, std::string("worker 01234567").size());
    before = s.Actors();
    ASSERT_EQ(before.size(), 5u);
    kv_events_before = before[kv].events;
    messenger_events_before = before[messenger].events;
    EXPECT_EQ(server->process().Signal(SIGKILL), kKilled);
  }
  std::string worker;  // the id of the worker that took job 2
  for (const auto& [id, info] : before)
    if (info.parent == sup && first_worker == "worker " + id.substr(0, 8)) worker = id;
  ASSERT_FALSE(worker.empty()) << first_worker;
  ASSERT_NE(first_worker, second_worker);

  // The second server, after the kill: the same actors, with what was acknowledged.
  {
    auto server = StartServer();
    ASSERT_FALSE(server->address().empty());
    Session s(server->address());
    ASSERT_TRUE(s.connected());
    json info = s.Info();
    EXPECT_EQ(info["revived"], 5) << info.dump();
    EXPECT_EQ(info["revive_errors"], json::array()) << info.dump();
    ASSERT_TRUE(AllRunning(s, before)) << server->LogText();
    auto after = s.Actors();
    EXPECT_EQ(after.size(), before.size());
    for (const auto& [id, was] : before) {
      EXPECT_EQ(after[id].name, was.name) << id;
      EXPECT_EQ(after[id].parent, was.parent) << id;
    }
    for (int i = 0; i < 20; ++i) EXPECT_EQ(s.Ask(kv, "get k" + std::to_string(i)), "v" + std::to_string(i));
    EXPECT_EQ(s.Ask(messenger, "transcript"), "said before the kill");

    // Each chain goes on after one theater/actor-resumed event, its seqs unbroken; the
    // kv's and the messenger's (idle since their last answer) lost nothing to the kill.
    for (const auto& [id, was] : before) {
      json events = s.Events(id);
      EXPECT_TRUE(Contiguous(events)) << id << ": " << events.dump();
      auto resumed = SeqsOf(events, "theater/actor-resumed");
      ASSERT_EQ(resumed.size(), 1u) << id;
      EXPECT_GE(events.size(), resumed[0] + 1);
    }
    EXPECT_EQ(SeqsOf(s.Events(kv), "theater/actor-resumed")[0], kv_events_before);
    EXPECT_EQ(SeqsOf(s.Events(messenger), "theater/actor-resumed")[0], messenger_events_before);

    // They work on: new state, and the supervision tree still supervises.
    uint64_t kv_total = s.Events(kv).size();
    EXPECT_EQ(s.Ask(kv, "set after kill"), "ok");
    json kv_events = s.Events(kv);
    ASSERT_GT(kv_events.size(), kv_total);
    EXPECT_TRUE(Contiguous(kv_events));
    EXPECT_EQ(s.Ask(messenger, "set said after the kill"), "ok");
    // The supervisor's turn came back too: job 3 goes to the first worker, which traps on
    // it and is restarted under its supervisor; job 5 goes to the second.
    std::string crash = s.Ask(sup, "job 3");
    EXPECT_EQ(crash.rfind(first_worker + " could not do it", 0), 0u) << crash;
    EXPECT_EQ(s.Ask(sup, "job 5"), second_worker + ": 5 squared is 25");
    EXPECT_TRUE(WaitUntil([&] {
      auto actors = s.Actors();
      return actors[worker].restarts == 1 && actors[worker].status == "running" && actors[worker].parent == sup;
    })) << "the supervisor did not restart its worker";
    EXPECT_EQ(s.Ask(sup, "job 7"), first_worker + ": 7 squared is 49");
    EXPECT_EQ(server->process().Signal(SIGTERM), 0) << server->LogText();
  }

  // The third server, after a clean stop (--data-dir given after the subcommand).
  {
    auto server = StartServer({"--data-dir", data_.string()});
    ASSERT_FALSE(server->address().empty());
    Session s(server->address());
    ASSERT_TRUE(s.connected());
    json info = s.Info();
    EXPECT_EQ(info["revived"], 5) << info.dump();
    EXPECT_EQ(info["revive_errors"], json::array()) << info.dump();
    EXPECT_EQ(info["actors"], 5) << info.dump();
    ASSERT_TRUE(AllRunning(s, before)) << server->LogText();
    EXPECT_EQ(s.Actors().size(), before.size());
    for (int i = 0; i < 20; ++i) EXPECT_EQ(s.Ask(kv, "get k" + std::to_string(i)), "v" + std::to_string(i));
    EXPECT_EQ(s.Ask(kv, "get after"), "kill");
    EXPECT_EQ(s.Ask(messenger, "transcript"), "said after the kill");
    EXPECT_EQ(s.Ask(sup, "job 8"), second_worker + ": 8 squared is 64");
    for (const auto& [id, was] : before) {
      json events = s.Events(id);
      EXPECT_TRUE(Contiguous(events)) << id;
      auto resumed = SeqsOf(events, "theater/actor-resumed");
      ASSERT_EQ(resumed.size(), 2u) << id << ": " << events.dump();
      // The clean stop ended the run with theater/actor-stopped; the kill did not.
      ASSERT_GT(resumed[1], resumed[0]);
      EXPECT_EQ(events[resumed[1] - 1].value("type", ""), "theater/actor-stopped") << id;
      EXPECT_NE(events[resumed[0] - 1].value("type", ""), "theater/actor-stopped") << id;
    }
    EXPECT_EQ(server->process().Signal(SIGTERM), 0) << server->LogText();
  }

  // Every chain verifies and replays (--data-dir after the subcommand, another home).
  TempDir elsewhere;
  for (const auto& [id, info] : before) {
    auto verify = RunTheater("chain verify " + id + " --data-dir '" + data_.string() + "'", elsewhere.path());
    EXPECT_EQ(verify.exit_code, 0) << id << ": " << verify.out;
    auto replay = RunTheater("replay " + id + " --data-dir '" + data_.string() + "'", elsewhere.path());
    EXPECT_EQ(replay.exit_code, 0) << id << ": " << replay.out;
    EXPECT_NE(replay.out.find("replay identical"), std::string::npos) << id << ": " << replay.out;
  }
}

TEST_F(ServerRestartTest, OnlyActorsThatWereRunningComeBack) {
  std::string running, stopped, terminated, failed;
  {
    auto server = StartServer();
    ASSERT_FALSE(server->address().empty());
    Session s(server->address());
    ASSERT_TRUE(s.connected());
    running = s.Start(MessengerManifest("running"));
    stopped = s.Start(MessengerManifest("stopped"));
    terminated = s.Start(MessengerManifest("terminated"));
    failed = s.Start(MessengerManifest("failed"));
    ASSERT_EQ(s.Ask(running, "set still here"), "ok");
    s.Expect({{"StopActor", {{"id", stopped}}}}, "ActorStopped");
    s.Expect({{"TerminateActor", {{"id", terminated}}}}, "ActorTerminated");
    EXPECT_EQ(s.Ask(failed, "fail").rfind("ERROR", 0), 0u);
    ASSERT_TRUE(WaitUntil([&] { return s.Actors()[failed].status == "failed"; }));
    EXPECT_EQ(server->process().Signal(SIGKILL), kKilled);
  }
  auto server = StartServer();
  ASSERT_FALSE(server->address().empty());
  Session s(server->address());
  ASSERT_TRUE(s.connected());
  json info = s.Info();
  EXPECT_EQ(info["revived"], 1) << info.dump();
  EXPECT_EQ(info["revive_errors"], json::array()) << info.dump();
  auto actors = s.Actors();
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_EQ(actors.begin()->first, running);
  EXPECT_EQ(s.Ask(running, "transcript"), "still here");
  for (const std::string& id : {stopped, terminated, failed})
    EXPECT_EQ(s.Expect({{"GetActorStatus", {{"id", id}}}}, "Error").value("kind", ""), "ActorNotFound") << id;
}

TEST_F(ServerRestartTest, FreshForgetsTheActorsButKeepsTheirChains) {
  std::string kv;
  {
    auto server = StartServer();
    ASSERT_FALSE(server->address().empty());
    Session s(server->address());
    ASSERT_TRUE(s.connected());
    kv = s.Start(KvManifest());
    ASSERT_EQ(s.Ask(kv, "set a 1"), "ok");
    EXPECT_EQ(server->process().Signal(SIGTERM), 0);
  }
  for (int run = 0; run < 2; ++run) {  // --fresh, then an ordinary start: nothing comes back either time
    auto server = StartServer(run == 0 ? std::vector<std::string>{"--fresh"} : std::vector<std::string>{});
    ASSERT_FALSE(server->address().empty());
    Session s(server->address());
    ASSERT_TRUE(s.connected());
    json info = s.Info();
    EXPECT_EQ(info["revived"], 0) << info.dump();
    EXPECT_EQ(info["actors"], 0) << info.dump();
    EXPECT_TRUE(s.Actors().empty()) << "run " << run;
    EXPECT_EQ(server->process().Signal(SIGTERM), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(data_ / "chains" / (kv + ".chain")));
  auto verify = RunTheater("--data-dir '" + data_.string() + "' chain verify " + kv, data_);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

}  // namespace
}  // namespace theater
