// theater:simple/environment (tests/guests/fs_probe.c): only the variables the manifest
// allows are visible, a hidden one looks absent to the actor and is recorded as denied,
// and replay answers from the chain, not from the environment.
#include <cstdlib>

#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;

using testing::Data;

class EnvironmentTest : public SystemTest {
 protected:
  void SetUp() override {
    SystemTest::SetUp();
    ::setenv("THEATER_ENVTEST_A", "alpha", 1);
    ::setenv("THEATER_ENVTEST_B", "beta", 1);
    ::setenv("THEATER_ENVTEST_SECRET", "hunter2", 1);
    ::setenv("THEATER_ENVPFX_ONE", "1", 1);
    ::setenv("THEATER_ENVPFX_TWO", "2", 1);
  }
  void TearDown() override {
    SystemTest::TearDown();
    for (const char* name : {"THEATER_ENVTEST_A", "THEATER_ENVTEST_B", "THEATER_ENVTEST_SECRET", "THEATER_ENVPFX_ONE",
                             "THEATER_ENVPFX_TWO", "THEATER_ENVTEST_BAD"})
      ::unsetenv(name);
  }

  // A probe whose environment handler has `settings` (it imports the filesystem too).
  std::string SpawnProbe(const std::string& settings) {
    std::string text = "name = \"probe\"\nversion = \"1\"\ncomponent = \"" + Guest("fs-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"filesystem\"\nnew_dir = true\n"
                       "[[handler]]\ntype = \"environment\"\n" + settings + "\n";
    auto m = ParseManifest(text, dir_.path(), "probe.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    auto id = system_->Spawn(*m);
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }

  // The data of every call of `function` in `id`'s chain, in order.
  std::vector<nlohmann::json> Calls(const std::string& id, const std::string& function) {
    std::vector<nlohmann::json> out;
    for (const auto& e : Events(id))
      if (e.type == "theater:simple/environment/" + function) out.push_back(Data(e));
    return out;
  }
};

TEST_F(EnvironmentTest, AllowedVariableIsVisibleAndRecorded) {
  std::string probe = SpawnProbe("allowed_vars = [\"THEATER_ENVTEST_A\"]");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_A"), "some:alpha");
  EXPECT_EQ(Ask(probe, "exists THEATER_ENVTEST_A"), "true");
  auto gets = Calls(probe, "get-var");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0]["args"][0], "THEATER_ENVTEST_A");
  EXPECT_EQ(gets[0]["result"]["some"], "alpha");
  EXPECT_FALSE(gets[0].contains("denied"));
  // Allowed but not set: absent, and not a refusal.
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_UNSET"), "none");
}

TEST_F(EnvironmentTest, NamesAreExactButPrefixesMatchTheStart) {
  std::string probe = SpawnProbe("allowed_vars = [\"THEATER_ENVTEST\"]\nallowed_prefixes = [\"THEATER_ENVPFX_\"]");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_A"), "none");  // an allowed name is not a prefix
  EXPECT_EQ(Ask(probe, "get THEATER_ENVPFX_ONE"), "some:1");
  EXPECT_EQ(Ask(probe, "exists THEATER_ENVPFX_TWO"), "true");
}

TEST_F(EnvironmentTest, DeniedBeatsAllowed) {
  std::string probe = SpawnProbe(
      "allowed_vars = [\"THEATER_ENVTEST_SECRET\"]\nallowed_prefixes = [\"THEATER_ENVTEST_\"]\n"
      "denied_vars = [\"THEATER_ENVTEST_SECRET\"]");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_SECRET"), "none");
  EXPECT_EQ(Ask(probe, "exists THEATER_ENVTEST_SECRET"), "false");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_B"), "some:beta");
  auto gets = Calls(probe, "get-var");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0]["denied"], "variable `THEATER_ENVTEST_SECRET` is in denied_vars");
  EXPECT_EQ(gets[0]["result"], nullptr);
}

TEST_F(EnvironmentTest, HiddenVariableLooksExactlyLikeAnAbsentOne) {
  std::string probe = SpawnProbe("allowed_vars = [\"THEATER_ENVTEST_A\", \"THEATER_ENVTEST_UNSET\"]");
  // The actor cannot tell a set-but-hidden variable from one that is not set at all...
  std::string hidden = Ask(probe, "get THEATER_ENVTEST_SECRET");
  EXPECT_EQ(hidden, Ask(probe, "get THEATER_ENVTEST_UNSET"));
  std::string hidden_exists = Ask(probe, "exists THEATER_ENVTEST_SECRET");
  EXPECT_EQ(hidden_exists, Ask(probe, "exists THEATER_ENVTEST_UNSET"));
  EXPECT_EQ(hidden, "none");
  EXPECT_EQ(hidden_exists, "false");
  // ...but the chain tells the refusal apart.
  auto gets = Calls(probe, "get-var");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0]["denied"], "variable `THEATER_ENVTEST_SECRET` is not in allowed_vars and has none of allowed_prefixes");
  EXPECT_FALSE(gets[1].contains("denied"));
  auto exists = Calls(probe, "exists");
  ASSERT_EQ(exists.size(), 2u);
  EXPECT_EQ(exists[0]["result"], false);
  EXPECT_TRUE(exists[0].contains("denied"));
  // Names getenv cannot ask for are never visible.
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_A=x"), "none");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_A%00"), "none");
  EXPECT_NE(Calls(probe, "get-var").back()["denied"].get<std::string>().find("not a valid variable name"),
            std::string::npos);
}

TEST_F(EnvironmentTest, NothingIsVisibleWithoutAllowedSettings) {
  std::string probe = SpawnProbe("");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_A"), "none");
  EXPECT_EQ(Ask(probe, "get PATH"), "none");
  EXPECT_EQ(Ask(probe, "exists HOME"), "false");
  EXPECT_EQ(Ask(probe, "vars"), "");
}

TEST_F(EnvironmentTest, ListVarsNeedsAllowListAllAndListsOnlyVisibleOnes) {
  std::string without = SpawnProbe("allowed_prefixes = [\"THEATER_ENVTEST_\"]");
  EXPECT_EQ(Ask(without, "vars"), "");
  auto lists = Calls(without, "list-vars");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0]["denied"], "listing the environment needs allow_list_all = true");

  std::string with = SpawnProbe(
      "allowed_prefixes = [\"THEATER_ENVTEST_\"]\ndenied_vars = [\"THEATER_ENVTEST_SECRET\"]\nallow_list_all = true");
  EXPECT_EQ(Ask(with, "vars"), "THEATER_ENVTEST_A=alpha;THEATER_ENVTEST_B=beta");
  lists = Calls(with, "list-vars");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_FALSE(lists[0].contains("denied"));
  EXPECT_EQ(lists[0]["result"].size(), 2u);
}

TEST_F(EnvironmentTest, ValuesThatAreNotUtf8AreMadeValid) {
  ::setenv("THEATER_ENVTEST_BAD", "a\xff\xfe" "b", 1);
  std::string probe = SpawnProbe("allowed_vars = [\"THEATER_ENVTEST_BAD\"]\nallow_list_all = true");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_BAD"), "some:a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  EXPECT_EQ(Ask(probe, "vars"), "THEATER_ENVTEST_BAD=a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
}

TEST_F(EnvironmentTest, ReplayAnswersFromTheChainNotTheEnvironment) {
  std::string probe = SpawnProbe("allowed_prefixes = [\"THEATER_ENVTEST_\"]\nallow_list_all = true");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_A"), "some:alpha");
  EXPECT_EQ(Ask(probe, "exists THEATER_ENVTEST_B"), "true");
  EXPECT_EQ(Ask(probe, "get THEATER_ENVTEST_SECRET"), "some:hunter2");
  EXPECT_EQ(Ask(probe, "get HOME"), "none");
  EXPECT_FALSE(Ask(probe, "vars").empty());
  auto events = Events(probe);
  // The world changes: what the actor saw is gone or different now.
  ::unsetenv("THEATER_ENVTEST_A");
  ::unsetenv("THEATER_ENVTEST_B");
  ::setenv("THEATER_ENVTEST_SECRET", "changed", 1);
  ReplayReport r = Replay(events, ReplayOptions{});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.identical) << r.divergence->seq << ": " << r.divergence->why;
  EXPECT_EQ(r.events, events.size());
}

}  // namespace
}  // namespace theater
