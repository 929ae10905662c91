// Hostile actors under a supervisor: each fails alone, with the right cause reported to
// its parent, is restarted as the policy says, while a sibling keeps answering promptly;
// and every chain verifies afterwards.
#include <atomic>
#include <thread>

#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;
using Clock = std::chrono::steady_clock;

struct Hostile {
  const char* name;
  const char* command;     // sent to the child
  const char* error_type;  // what the parent hears (wit-error-type)
  const char* kind;        // and the classified cause in its data
};

class HostileTest : public SystemTest, public ::testing::WithParamInterface<Hostile> {
 protected:
  void SetUp() override {
    SystemTest::SetUp();
    // Children get a small fuel budget so that an endless loop ends quickly.
    testing::WriteText(dir_ / "child.toml", "name = \"child\"\nversion = \"1\"\ncomponent = \"" +
                                                testing::LocalGuest(dir_.path(), "messenger.wasm").string() +
                                                "\"\n[limits]\nfuel_per_call = 50000000\nmax_memory_bytes = 16777216\n"
                                                "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
    testing::WriteText(dir_ / "boss.toml", "name = \"boss\"\nversion = \"1\"\ncomponent = \"" + testing::LocalGuest(dir_.path(), "boss.wasm").string() +
                                               "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                                               "[[handler]]\ntype = \"supervisor\"\nmax_restarts = 20\nbackoff_initial_ms = 0\n"
                                               "max_children = 20\n");
    boss_ = system_->Spawn(LoadManifest(dir_ / "boss.toml").value()).value();
    sibling_ = Child();
  }

  std::string Child(const std::string& manifest = "child.toml") {
    std::string answer = Ask(boss_, "spawn " + manifest);
    EXPECT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
    return answer.substr(4);
  }

  // Pings the sibling until stopped; returns the slowest answer.
  double PingWhile(std::atomic<bool>& stop) {
    double slowest = 0;
    while (!stop) {
      auto t = Clock::now();
      EXPECT_EQ(Ask(sibling_, "echo ping"), "ping");
      slowest = std::max(slowest, std::chrono::duration<double, std::milli>(Clock::now() - t).count());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return slowest;
  }

  std::string boss_, sibling_;
};

TEST_P(HostileTest, FailsAloneIsReportedAndRestarted) {
  const Hostile& h = GetParam();
  std::string child = Child();
  std::atomic<bool> stop{false};
  double slowest = 0;
  std::thread pinger([&] { slowest = PingWhile(stop); });
  for (int round = 1; round <= 3; ++round) {
    std::string answer = Ask(child, h.command, std::chrono::seconds(20));
    EXPECT_NE(answer.find(h.kind), std::string::npos) << answer;
    // The policy restarts it each time. The count goes up when the restart begins; the
    // actor takes requests once it is running again.
    auto restarted = [&] {
      ActorInfo info = system_->Info(child).value();
      return info.restarts >= static_cast<uint32_t>(round) && info.status == ActorStatus::kRunning;
    };
    for (int i = 0; i < 1000 && !restarted(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(system_->Info(child).value().restarts, static_cast<uint32_t>(round));
    EXPECT_EQ(Ask(child, "echo back"), "back");
  }
  stop = true;
  pinger.join();
  EXPECT_LT(slowest, 500) << "the sibling waited " << slowest << " ms";
  std::string transcript = Ask(boss_, "transcript");
  std::string expected = std::string("error ") + child + " " + h.error_type + " {\"kind\":\"" + h.kind + "\"";
  size_t count = 0;
  for (size_t at = transcript.find(expected); at != std::string::npos; at = transcript.find(expected, at + 1)) ++count;
  EXPECT_EQ(count, 3u) << transcript;
  EXPECT_EQ(system_->Info(sibling_).value().restarts, 0u);
  system_->Shutdown();
  for (const auto& info : system_->List()) {
    VerifyReport report = VerifyChainFile(info.chain_path);
    EXPECT_TRUE(report.ok) << info.id << ": " << report.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, HostileTest,
                         ::testing::Values(Hostile{"endless_loop", "spin", "operation-timeout", "out-of-fuel"},
                                           Hostile{"memory_bomb", "oom", "internal", "out-of-memory"},
                                           Hostile{"unbounded_recursion", "recurse", "internal", "stack-overflow"},
                                           Hostile{"trap", "trap", "internal", "trap"},
                                           Hostile{"guest_error", "fail", "internal", "guest-error"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(HostileTest, HugeMessagesAreRefusedNotFatal) {
  std::string child = Child();
  std::string answer = Ask(child, "big " + sibling_ + " 2000000");
  EXPECT_EQ(answer, "err: message of 2000000 bytes is larger than the limit of 1048576 bytes");
  Status outside = system_->Send(child, Bytes(2'000'000, 'x'));
  EXPECT_NE(outside.message().find("larger than the limit"), std::string::npos);
  EXPECT_EQ(Ask(child, "echo still fine"), "still fine");
  EXPECT_EQ(system_->Info(child).value().restarts, 0u);
}

TEST_F(HostileTest, AnActorThatSpawnsWithoutEndIsStoppedAtItsLimit) {
  // A child supervisor (boss.toml again, max_children 20) spawning as fast as it can.
  std::string spawner = Child("boss.toml");
  std::string answer = Ask(spawner, "spawn-many child.toml 100000", std::chrono::seconds(30));
  EXPECT_EQ(answer.rfind("spawned 20 (err: too many children", 0), 0u) << answer;
  EXPECT_EQ(Ask(sibling_, "echo alive"), "alive");
  EXPECT_EQ(system_->Info(spawner).value().status, ActorStatus::kRunning);
}

}  // namespace
}  // namespace theater
