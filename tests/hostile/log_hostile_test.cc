// Item 12 of "Containment holes" (and the server-log half of item 8): what an actor logs
// can neither forge lines of the server's log nor drive the operator's terminal, and a
// flood of lines does not flood the log.
#include <gtest/gtest.h>

#include "server/log_throttle.h"
#include "server_test_util.h"

namespace theater {
namespace {

using testing::MessengerManifest;
using testing::ServerTest;

constexpr const char* kForgery = "say fine\ntheater server: listening on 0.0.0.0:1 \x1b[2J\x1b]0;owned\x07 \xc2\x9b \xe2\x80\xae";

bool HasControl(const std::string& line) {
  for (unsigned char c : line)
    if (c < 0x20 || c == 0x7f) return true;
  return line.find("\xc2\x9b") != std::string::npos || line.find("\xe2\x80\xae") != std::string::npos;
}

TEST_F(ServerTest, HostileLogAnActorsLinesCannotForgeTheServerLog) {
  StartServer();
  ActorSystem& system = server_->system();
  auto manifest = ParseManifest(MessengerManifest(), "/", "m.toml");
  ASSERT_TRUE(manifest.ok()) << manifest.error();
  std::string id = system.Spawn(*manifest).value();
  ASSERT_EQ(ToString(system.Request(id, ToBytes(kForgery)).get().response), "said");
  system.WaitIdle(std::chrono::seconds(5));
  std::lock_guard lock(log_mu_);
  bool found = false;
  for (const std::string& line : log_) {
    EXPECT_FALSE(HasControl(line)) << line;
    if (line.find("fine\\ntheater server: listening") != std::string::npos) {
      found = true;
      EXPECT_NE(line.find("\\x1b[2J"), std::string::npos) << line;
      EXPECT_NE(line.find("\\u{009b}"), std::string::npos) << line;
      EXPECT_NE(line.find("\\u{202e}"), std::string::npos) << line;
      EXPECT_EQ(line.rfind("[" + id + "] ", 0), 0u) << line;
    }
  }
  EXPECT_TRUE(found) << "the actor's line is not in the server log";
}

TEST(HostileServerLog, TheServerLogHoldsBackAFloodAndSaysHowMuch) {
  std::vector<std::string> written;
  server::LogThrottle throttle([&](const std::string& line) { written.push_back(line); });
  auto t0 = server::LogThrottle::Clock::now();
  for (int i = 0; i < 10000; ++i) throttle.Line("a", "line " + std::to_string(i), t0);
  throttle.Line("b", std::string(100000, 'x'), t0);  // another actor is not held back by a's flood
  EXPECT_EQ(written.size(), 201u);
  EXPECT_LT(written.back().size(), 4200u) << "a long line is cut";
  EXPECT_NE(written.back().find("(100000 bytes)"), std::string::npos);
  // The next second: what was held back is counted first.
  throttle.Line("a", "later", t0 + std::chrono::milliseconds(1500));
  ASSERT_EQ(written.size(), 203u);
  EXPECT_NE(written[201].find("9800 log lines"), std::string::npos) << written[201];
  EXPECT_EQ(written[202], "[a] later");
}

TEST(HostileServerLog, TheCliEscapesWhatActorsSay) {
  testing::TempDir home;
  testing::WriteText(home / "m.toml", MessengerManifest());
  std::string request = kForgery;
  std::string quoted;  // for sh -c: in single quotes, ' itself closed and escaped
  for (char c : request) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  auto r = testing::RunTheater("run '" + (home / "m.toml").string() + "' --request '" + quoted + "'", home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fine\\ntheater server: listening"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace theater
