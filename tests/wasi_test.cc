// WASI 0.2 for actors, with a real Python component (tests/guests/py_probe.py, built by
// componentize-py): its clock, random bytes, environment and output are host inputs
// recorded in the chain; replay answers them from the recording and is identical; what is
// not granted (a file outside any preopen, a variable not allowed) is not there.
#include <cstdlib>

#include <gtest/gtest.h>

#include "test_util.h"

namespace theater::testing {
namespace {

using nlohmann::json;

class WasiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(THEATER_PY_PROBE).empty()) GTEST_SKIP() << "componentize-py was not installed (scripts/setup.sh)";
    WriteText(dir_.path() / "probe.toml",
              "name = \"py-probe\"\nversion = \"0.1.0\"\ncomponent = \"" + std::string(THEATER_PY_PROBE) +
                  "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                  "[[handler]]\ntype = \"wasi\"\nallowed_vars = [\"THEATER_TEST_VISIBLE\"]\n");
  }

  // `theater run` with these requests, in JSON lines.
  CommandResult Run(const std::string& requests) {
    return RunShell("THEATER_TEST_VISIBLE=shown THEATER_TEST_HIDDEN=secret THEATER_HOME=" + Q(dir_.path() / "data") +
                    " '" + std::string(THEATER_BINARY) + "' run " + Q(dir_.path() / "probe.toml") + " " + requests +
                    " --json 2>&1");
  }

  static std::vector<json> Lines(const std::string& out, const std::string& event) {
    std::vector<json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("event", "") == event) lines.push_back(j);
    }
    return lines;
  }

  TempDir dir_;
};

TEST_F(WasiTest, APythonActorsInputsAreRecordedAndReplayedIdentically) {
  auto run = Run("--request time --request env --request print --request random --request file");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto responses = Lines(run.out, "response");
  ASSERT_EQ(responses.size(), 5u) << run.out;
  auto text = [&](size_t i) { return responses[i]["response"].value("text", ""); };

  // The clock is the real one.
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_NEAR(std::stod(text(0)), now, 60) << text(0);
  // Only the allowed variable is in the environment.
  json env = json::parse(text(1));
  EXPECT_EQ(env.value("THEATER_TEST_VISIBLE", ""), "shown") << text(1);
  EXPECT_FALSE(env.contains("THEATER_TEST_HIDDEN")) << text(1);
  EXPECT_FALSE(env.contains("HOME")) << text(1);
  // stdout and stderr are the actor's log.
  EXPECT_EQ(text(2), "printed");
  std::string logs;
  for (const json& l : Lines(run.out, "log")) logs += l.value("text", "") + "\n";
  EXPECT_NE(logs.find("to stdout from python"), std::string::npos) << logs;
  EXPECT_NE(logs.find("to stderr from python"), std::string::npos) << logs;
  EXPECT_EQ(text(3).size(), 32u) << text(3);
  // Nothing is preopened: no file of the host can be read.
  EXPECT_EQ(text(4).rfind("refused: ", 0), 0u) << text(4);

  // Each input is an event of the chain.
  std::string id = Summary(run.out).value("actor_id", "");
  auto shown = RunTheater("chain show " + id + " --json", dir_.path() / "data");
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  for (const char* type : {"wasi:cli/environment", "wasi:clocks/wall-clock/now", "wasi:random/random/get-random-bytes",
                           "wasi:cli/stdout/write", "wasi:cli/stderr/write"})
    EXPECT_NE(shown.out.find(type), std::string::npos) << type;

  // Replay answers them from the recording: the same chain, hash for hash.
  auto replayed = RunTheater("replay " + id, dir_.path() / "data");
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out;
  EXPECT_NE(replayed.out.find("replay identical"), std::string::npos) << replayed.out;
  auto verified = RunTheater("chain verify " + id, dir_.path() / "data");
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
}

// Python workers under the C supervisor of examples/supervision: a worker that raises
// fails (guest-error, with the exception's text), is restarted, and answers again.
TEST_F(WasiTest, APythonWorkerThatRaisesIsRestartedByItsCSupervisor) {
  std::string supervisor = FileText(Example("supervision/supervisor.toml"));
  size_t at = supervisor.find("component = \"supervisor.wasm\"");
  ASSERT_NE(at, std::string::npos);
  supervisor.replace(at, std::string("component = \"supervisor.wasm\"").size(),
                     "component = \"" + Example("supervision/supervisor.wasm").string() + "\"");
  // A child gets only handlers its parent has: the supervisor is granted WASI to hand on.
  WriteText(dir_.path() / "supervisor.toml", supervisor + "\n[[handler]]\ntype = \"wasi\"\n");
  // A child's component must be where its parent may reach: beside the manifests.
  std::filesystem::copy_file(THEATER_PY_PROBE, dir_.path() / "py-probe.wasm");
  WriteText(dir_.path() / "worker.toml",
            "name = \"py-worker\"\nversion = \"0.1.0\"\ncomponent = \"py-probe.wasm\"\n[[handler]]\ntype = "
            "\"runtime\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"wasi\"\n");
  // Compiled once first (seconds for 18 MB), so that the workers start at once from the
  // data directory's cache and the supervisor's requests to them do not wait for it.
  ASSERT_EQ(Run("--request time").exit_code, 0);
  auto run = RunShell("THEATER_HOME=" + Q(dir_.path() / "data") + " '" + std::string(THEATER_BINARY) + "' run " +
                      Q(dir_.path() / "supervisor.toml") +
                      " --timeout 60000 --request fail --request time --request time --json 2>&1");
  auto responses = Lines(run.out, "response");
  ASSERT_EQ(responses.size(), 3u) << run.out;
  EXPECT_NE(responses[0].dump().find("asked to fail"), std::string::npos) << run.out;
  for (size_t i : {1, 2}) {
    ASSERT_TRUE(responses[i].contains("response")) << run.out;
    std::string text = responses[i]["response"].value("text", "");  // "worker 1a2b3c4d: 1796594226.88"
    ASSERT_NE(text.find(": "), std::string::npos) << run.out;
    EXPECT_GT(std::stod(text.substr(text.find(": ") + 2)), 1e9) << run.out;
  }
  uint64_t restarts = 0;
  for (const json& s : Lines(run.out, "summary")) restarts += s.value("restarts", 0);
  EXPECT_EQ(restarts, 1u) << run.out;
  // Every chain, the restarted worker's too, replays identically.
  for (const json& s : Lines(run.out, "summary")) {
    auto replayed = RunTheater("replay " + s.value("actor_id", ""), dir_.path() / "data");
    EXPECT_NE(replayed.out.find("replay identical"), std::string::npos) << s.value("actor", "") << ": " << replayed.out;
  }
}

TEST_F(WasiTest, WithoutTheGrantTheActorDoesNotStart) {
  WriteText(dir_.path() / "probe.toml", "name = \"py-probe\"\nversion = \"0.1.0\"\ncomponent = \"" +
                                            std::string(THEATER_PY_PROBE) +
                                            "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
  auto run = Run("--request time");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("type = \\\"wasi\\\""), std::string::npos) << run.out;
}

}  // namespace
}  // namespace theater::testing
