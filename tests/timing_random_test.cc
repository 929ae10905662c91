// theater:simple/timing and theater:simple/random (tests/guests/dice.c): their limits, and
// every value they hand in recorded in the chain.
#include "common/uuid.h"
#include "runtime/actor_context.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;
using Clock = std::chrono::steady_clock;

using testing::Data;

class TimingRandomTest : public SystemTest {
 protected:
  // A dice actor; `timing` and `random` are the settings of those handler tables.
  std::string SpawnDice(const std::string& timing = "", const std::string& random = "") {
    std::string text = "name = \"dice\"\nversion = \"1\"\ncomponent = \"" + Guest("dice.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"timing\"\n" + timing +
                       "\n[[handler]]\ntype = \"random\"\n" + random + "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "dice.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return system_->Spawn(*m).value();
  }
};

TEST_F(TimingRandomTest, NowIsTheHostClockAndIsRecorded) {
  std::string dice = SpawnDice();
  uint64_t before = NowMs();
  uint64_t now = std::stoull(Ask(dice, "now"));
  EXPECT_GE(now, before);
  EXPECT_LE(now, NowMs());
  auto event = FindEvent(dice, "theater:simple/timing/now");
  ASSERT_TRUE(event);
  EXPECT_EQ(Data(*event)["result"], now);
}

TEST_F(TimingRandomTest, SleepWaitsWithoutHoldingAThread) {
  std::string sleeper = SpawnDice(), other = SpawnDice();
  auto start = Clock::now();
  auto sleeping = system_->Request(sleeper, ToBytes("sleep 300"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Meanwhile another actor answers at once (2 workers, and the sleeper holds neither).
  auto t = Clock::now();
  std::vector<std::future<RequestResult>> others;
  for (int i = 0; i < 3; ++i) others.push_back(system_->Request(SpawnDice(), ToBytes("now")));
  for (auto& f : others) EXPECT_TRUE(f.get().ok);
  EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(200));
  RequestResult r = sleeping.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(ToString(r.response), "slept");
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_TRUE(FindEvent(sleeper, "theater:simple/timing/sleep"));
  auto done = FindEvent(sleeper, "theater:simple/timing/sleep/done");
  ASSERT_TRUE(done);
  EXPECT_EQ(Data(*done)["result"]["ok"], nullptr);
}

TEST_F(TimingRandomTest, SleepLimitsFromTheManifest) {
  std::string dice = SpawnDice("max_sleep_duration = 100\nmin_sleep_duration = 10");
  EXPECT_EQ(Ask(dice, "sleep 200"), "err: sleeping 200 ms is longer than max_sleep_duration (100 ms)");
  EXPECT_EQ(Ask(dice, "sleep 5"), "err: sleeping 5 ms is shorter than min_sleep_duration (10 ms)");
  EXPECT_EQ(Ask(dice, "sleep 20"), "slept");
}

TEST_F(TimingRandomTest, DeadlineInThePastReturnsAtOnce) {
  std::string dice = SpawnDice();
  auto t = Clock::now();
  EXPECT_EQ(Ask(dice, "deadline " + std::to_string(NowMs() - 1000)), "reached");
  EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(200));
  t = Clock::now();
  EXPECT_EQ(Ask(dice, "deadline " + std::to_string(NowMs() + 100)), "reached");
  EXPECT_GE(Clock::now() - t, std::chrono::milliseconds(90));
}

TEST_F(TimingRandomTest, RandomValuesAreInRangeAndRecorded) {
  std::string dice = SpawnDice();
  std::string bytes = Ask(dice, "bytes 20");
  EXPECT_EQ(bytes.size(), 40u);
  auto event = FindEvent(dice, "theater:simple/random/random-bytes");
  ASSERT_TRUE(event);
  auto recorded = Data(*event)["result"]["ok"].get_binary();
  EXPECT_EQ(ToHex(Bytes(recorded.begin(), recorded.end())), bytes);
  for (int i = 0; i < 50; ++i) {
    uint64_t v = std::stoull(Ask(dice, "range 10 13"));
    EXPECT_GE(v, 10u);
    EXPECT_LT(v, 13u);
  }
  double f = std::stod(Ask(dice, "float"));
  EXPECT_GE(f, 0.0);
  EXPECT_LT(f, 1.0);
  std::string uuid = Ask(dice, "uuid");
  EXPECT_TRUE(IsUuid(uuid)) << uuid;
  EXPECT_EQ(uuid[14], '4');
}

TEST_F(TimingRandomTest, RandomLimitsFromTheManifest) {
  std::string dice = SpawnDice("", "max_bytes = 16\nmax_int = 100");
  EXPECT_EQ(Ask(dice, "bytes 17"), "err: 17 random bytes is more than max_bytes (16)");
  EXPECT_EQ(Ask(dice, "bytes 16").size(), 32u);
  EXPECT_EQ(Ask(dice, "range 5 5"), "err: empty range: min 5 is not below max 5");
  EXPECT_EQ(Ask(dice, "range 0 101"), "err: max 101 is above max_int (100)");
}

TEST_F(TimingRandomTest, SeededActorsDrawTheSameNumbers) {
  std::string a = SpawnDice("", "seed = 42"), b = SpawnDice("", "seed = 42"), c = SpawnDice("", "seed = 43");
  std::string sa, sb, sc;
  for (int i = 0; i < 5; ++i) {
    sa += Ask(a, "roll") + ",";
    sb += Ask(b, "roll") + ",";
    sc += Ask(c, "roll") + ",";
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  EXPECT_EQ(Ask(a, "uuid"), Ask(b, "uuid"));
}

}  // namespace
}  // namespace theater
