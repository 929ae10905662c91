// A real `theater server` process killed with SIGKILL (and stopped with SIGTERM) and
// started again on the same data directory: its actors come back with their ids, parents,
// states and chains, and every chain verifies and replays.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <regex>

#include "server/client.h"
#include "server_test_util.h"

extern char** environ;

namespace theater {
namespace {

using server::json;
using testing::Example;
using testing::MessengerManifest;
using testing::RunTheater;
using testing::TempDir;

// `theater --data-dir DIR server --listen 127.0.0.1:0 [ARGS]` as a child process.
class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& data_dir, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {THEATER_BINARY, "--data-dir", data_dir.string(), "server", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::string log = (data_dir / "server.log").string();
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (::posix_spawn(&pid_, THEATER_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    // "theater server listening on HOST:PORT (data in DIR)"
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::smatch m;
    static const std::regex listening("listening on (\\S+)");
    while (std::chrono::steady_clock::now() < deadline && !std::regex_search(out, m, listening)) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    if (std::regex_search(out, m, listening)) address_ = m[1];
  }
  ~ServerProcess() { Signal(SIGKILL); }

  const std::string& address() const { return address_; }
  // Sends `signal` and waits for the process to end.
  void Signal(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

json Expect(server::Client& c, const json& command, const std::string& tag) {
  auto r = c.Call(command);
  EXPECT_TRUE(r.ok()) << r.error();
  if (!r.ok()) return json();
  EXPECT_TRUE(r->contains(tag)) << command.dump() << " -> " << r->dump();
  return r->contains(tag) ? (*r)[tag] : json();
}

std::string Ask(server::Client& c, const std::string& id, const std::string& text) {
  auto r = c.Call({{"RequestActorMessage", {{"id", id}, {"data", text}}}});
  if (!r.ok() || !r->contains("RequestedMessage")) return "ERROR: " + (r.ok() ? r->dump() : r.error());
  std::string s;
  for (const auto& b : (*r)["RequestedMessage"]["message"]) s.push_back(static_cast<char>(b.get<int>()));
  return s;
}

// id -> {status, parent} of every actor the server lists.
std::map<std::string, std::pair<std::string, std::string>> Actors(server::Client& c) {
  std::map<std::string, std::pair<std::string, std::string>> actors;
  json list = Expect(c, "ListActors", "ActorList");  // kept: a range-for over a temporary's member dangles
  for (const json& a : list["actors"])
    actors[a["id"]] = {a["status"], a["parent"].is_null() ? "" : a["parent"].get<std::string>()};
  return actors;
}

TEST(ServerRestart, ActorsComeBackAfterAKillAndAStopWithTheirStatesAndChains) {
  TempDir dir;
  std::string kv, sup, messenger, stopped;
  std::map<std::string, std::pair<std::string, std::string>> before;
  {
    ServerProcess server(dir.path());
    ASSERT_FALSE(server.address().empty()) << "the server did not start";
    auto c = server::Client::Connect(server.address());
    ASSERT_TRUE(c.ok()) << c.error();
    std::string kv_manifest = std::filesystem::absolute(Example("kv-cpp/manifest.toml")).string();
    kv = Expect(**c, {{"StartActor", {{"manifest", kv_manifest}}}}, "ActorStarted")["id"];
    std::string sup_manifest = std::filesystem::absolute(Example("supervision/supervisor.toml")).string();
    sup = Expect(**c, {{"StartActor", {{"manifest", sup_manifest}}}}, "ActorStarted")["id"];
    messenger = Expect(**c, {{"StartActor", {{"manifest", MessengerManifest()}}}}, "ActorStarted")["id"];
    stopped = Expect(**c, {{"StartActor", {{"manifest", MessengerManifest("gone")}}}}, "ActorStarted")["id"];
    for (int i = 0; i < 20; ++i) ASSERT_EQ(Ask(**c, kv, "set k" + std::to_string(i) + " v" + std::to_string(i)), "ok");
    ASSERT_EQ(Ask(**c, messenger, "set remembered"), "ok");
    ASSERT_NE(Ask(**c, sup, "job 2").find("4"), std::string::npos);
    Expect(**c, {{"StopActor", {{"id", stopped}}}}, "ActorStopped");
    before = Actors(**c);
    server.Signal(SIGKILL);  // no shutdown at all
  }
  ASSERT_EQ(before.size(), 6u);  // kv, supervisor, two workers, messenger, the stopped one

  auto check_back = [&](server::Client& c) {
    auto after = Actors(c);
    for (const auto& [id, info] : before) {
      if (id == stopped) {
        EXPECT_FALSE(after.count(id)) << "a stopped actor came back";
        continue;
      }
      ASSERT_TRUE(after.count(id)) << id << " did not come back";
      EXPECT_EQ(after[id].first, "running");
      EXPECT_EQ(after[id].second, info.second) << "parent of " << id;
    }
    for (int i = 0; i < 20; ++i) EXPECT_EQ(Ask(c, kv, "get k" + std::to_string(i)), "v" + std::to_string(i));
    EXPECT_EQ(Ask(c, messenger, "transcript"), "remembered");
    EXPECT_NE(Ask(c, sup, "job 4").find("16"), std::string::npos);
  };
  {
    ServerProcess server(dir.path());
    ASSERT_FALSE(server.address().empty());
    auto c = server::Client::Connect(server.address());
    ASSERT_TRUE(c.ok()) << c.error();
    json info = Expect(**c, "GetServerInfo", "ServerInfo");
    EXPECT_EQ(info["revived"], 5) << info.dump();
    EXPECT_TRUE(info["revive_errors"].empty()) << info.dump();
    check_back(**c);
    // The chain goes on after a theater/actor-resumed event, seqs unbroken.
    json events = Expect(**c, {{"GetActorEvents", {{"id", kv}}}}, "ActorEvents")["events"];
    bool resumed = false;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i]["seq"], i);
      resumed |= events[i]["type"] == "theater/actor-resumed";
    }
    EXPECT_TRUE(resumed);
    server.Signal(SIGTERM);  // a clean stop: the actors come back again
  }
  {
    ServerProcess server(dir.path());
    ASSERT_FALSE(server.address().empty());
    auto c = server::Client::Connect(server.address());
    ASSERT_TRUE(c.ok()) << c.error();
    check_back(**c);
    server.Signal(SIGTERM);
  }
  for (const auto& [id, info] : before) {
    auto verify = RunTheater("chain verify " + id, dir.path());
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    auto replay = RunTheater("replay " + id, dir.path());
    EXPECT_NE(replay.out.find("replay identical"), std::string::npos) << id << ": " << replay.out;
  }
  // --fresh forgets them.
  ServerProcess fresh(dir.path(), {"--fresh"});
  auto c = server::Client::Connect(fresh.address());
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(Actors(**c).empty());
}

}  // namespace
}  // namespace theater
