// theater:simple/process (tests/guests/runner.c) with real programs: output in each mode,
// stdin, exit codes, signals, every limit and refusal, cleanup when the actor stops, and
// replay that starts nothing.
#include <signal.h>

#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::FileText;
using testing::Guest;
using testing::SystemTest;
using testing::WaitUntil;

using testing::Data;

class ProcessTest : public SystemTest {
 protected:
  std::string SpawnRunner(const std::string& settings = "") {
    std::string text = "name = \"runner\"\nversion = \"1\"\ncomponent = \"" + Guest("runner.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"process\"\n"
                       "allowed_programs = [\"sh\", \"cat\", \"echo\"]\nallowed_env = [\"GREETING\"]\n" +
                       settings + "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "runner.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return system_->Spawn(*m).value();
  }
  // Waits until the actor's log has `text`; returns the log.
  std::string WaitLog(const std::string& id, const std::string& text) {
    std::string log;
    WaitUntil([&] { return (log = Ask(id, "log")).find(text) != std::string::npos; });
    EXPECT_NE(log.find(text), std::string::npos) << log;
    return log;
  }
};

TEST_F(ProcessTest, OutputReachesTheHandlersInEachMode) {
  std::string r = SpawnRunner();
  EXPECT_EQ(Ask(r, "spawn|raw|0|echo|hi"), "1");
  std::string log = WaitLog(r, "exit 1 0\n");
  EXPECT_NE(log.find("out 1 [hi\n]\n"), std::string::npos) << log;
  EXPECT_LT(log.find("out 1"), log.find("exit 1"));  // output comes before the exit
  EXPECT_EQ(Ask(r, "spawn|line|0|sh|-c|printf 'a\\nb\\nc'; echo oops >&2"), "2");
  log = WaitLog(r, "exit 2 0\n");
  // The last line has no newline: it comes when stdout ends (stderr may come between).
  EXPECT_NE(log.find("out 2 [a]\nout 2 [b]\n"), std::string::npos) << log;
  EXPECT_LT(log.find("out 2 [b]"), log.find("out 2 [c]\n")) << log;
  EXPECT_NE(log.find("err 2 [oops]\n"), std::string::npos) << log;
  EXPECT_EQ(Ask(r, "spawn|json|0|sh|-c|echo '{\"x\": 1}'; echo notjson; echo '[2]'"), "3");
  log = WaitLog(r, "exit 3 0\n");
  EXPECT_NE(log.find("out 3 [{\"x\": 1}]\nout 3 [[2]]\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("notjson"), std::string::npos) << log;
  EXPECT_EQ(Ask(r, "spawn|chunked|0|sh|-c|printf abcdefghij"), "4");
  log = WaitLog(r, "exit 4 0\n");
  EXPECT_NE(log.find("out 4 [abcd]\nout 4 [efgh]\nout 4 [ij]\n"), std::string::npos) << log;
  // The environment is only what the actor gave (GREETING), not the host's.
  EXPECT_EQ(Ask(r, "spawn|line|0|sh|-c|echo $GREETING-$HOME-"), "5");
  log = WaitLog(r, "exit 5 0\n");
  EXPECT_NE(log.find("out 5 [hello--]\n"), std::string::npos) << log;
  // Each piece of output is a recorded call of the export.
  bool found = false;
  for (const auto& e : Events(r))
    if (e.type == "wasm/call" && Data(e).dump().find("handle-stdout") != std::string::npos) found = true;
  EXPECT_TRUE(found);
}

TEST_F(ProcessTest, StdinAndExitCodes) {
  std::string r = SpawnRunner();
  ASSERT_EQ(Ask(r, "spawn|line|0|cat"), "1");
  EXPECT_EQ(Ask(r, "write|1|hello\n"), "6");
  WaitLog(r, "out 1 [hello]\n");
  EXPECT_EQ(Ask(r, "status|1").substr(0, 13), "running -999 ");
  EXPECT_EQ(Ask(r, "write|1|"), "0");  // closes stdin: cat ends
  WaitLog(r, "exit 1 0\n");
  EXPECT_EQ(Ask(r, "status|1").substr(0, 9), "exited 0 ");
  EXPECT_EQ(Ask(r, "write|1|more"), "err: stdin of process 1 is closed");
  ASSERT_EQ(Ask(r, "spawn|raw|0|sh|-c|exit 3"), "2");
  WaitLog(r, "exit 2 3\n");
  EXPECT_EQ(Ask(r, "status|2").substr(0, 9), "exited 3 ");
}

TEST_F(ProcessTest, SignalAndKill) {
  std::string r = SpawnRunner();
  ASSERT_EQ(Ask(r, "spawn|raw|0|sh|-c|sleep 30"), "1");
  ASSERT_EQ(Ask(r, "spawn|raw|0|sh|-c|sleep 30"), "2");
  EXPECT_EQ(Ask(r, "signal|1|15"), "ok");
  WaitLog(r, "exit 1 143\n");
  EXPECT_EQ(Ask(r, "kill|2"), "ok");
  WaitLog(r, "exit 2 137\n");
  EXPECT_EQ(Ask(r, "signal|1|15"), "err: process 1 has exited");
  EXPECT_EQ(Ask(r, "signal|2|99"), "err: signal 99 is not 1..31");
}

TEST_F(ProcessTest, RefusalsAreDenied) {
  std::string r = SpawnRunner("allowed_paths = [\"" + dir_.path().string() + "\"]");
  EXPECT_EQ(Ask(r, "spawn|raw|0|/bin/sh|-c|true"), "err: program `/bin/sh` is not in allowed_programs");
  auto e = FindEvent(r, "theater:simple/process/os-spawn");
  ASSERT_TRUE(e);
  EXPECT_EQ(Data(*e)["denied"], "program `/bin/sh` is not in allowed_programs");
  // Processes it did not start (another actor's, or none) are out of its reach.
  EXPECT_EQ(Ask(r, "kill|1"), "err: this actor has started no process 1");
  EXPECT_EQ(Ask(r, "signal|7|9"), "err: this actor has started no process 7");
  EXPECT_EQ(Ask(r, "cwd|/tmp|sh|-c|pwd"), "err: cwd `/tmp` is not inside allowed_paths");
  EXPECT_EQ(Ask(r, "cwd|" + dir_.path().string() + "/..|sh|-c|pwd"),
            "err: cwd `" + dir_.path().string() + "/..` is not inside allowed_paths");
  std::filesystem::create_directories(dir_.path() / "work");
  ASSERT_EQ(Ask(r, "cwd|" + (dir_.path() / "work").string() + "|sh|-c|pwd"), "1");
  char resolved[PATH_MAX];
  ASSERT_TRUE(realpath((dir_.path() / "work").c_str(), resolved));
  WaitLog(r, "out 1 [" + std::string(resolved) + "\n]");
  // No allowed_paths: no cwd may be given.
  std::string other = SpawnRunner();
  EXPECT_EQ(Ask(other, "cwd|" + dir_.path().string() + "|sh|-c|pwd"),
            "err: cwd `" + dir_.path().string() + "` is not inside allowed_paths");
}

TEST_F(ProcessTest, MaxProcessesIsEnforced) {
  std::string r = SpawnRunner("max_processes = 2");
  ASSERT_EQ(Ask(r, "spawn|raw|0|sh|-c|sleep 30"), "1");
  ASSERT_EQ(Ask(r, "spawn|raw|0|sh|-c|sleep 30"), "2");
  EXPECT_EQ(Ask(r, "spawn|raw|0|sh|-c|sleep 30"), "err: already running max_processes (2) processes");
  EXPECT_EQ(Ask(r, "kill|1"), "ok");
  WaitLog(r, "exit 1 137\n");
  EXPECT_EQ(Ask(r, "spawn|raw|0|echo|x"), "3");
}

TEST_F(ProcessTest, EndlessOutputIsKilledAtTheLimit) {
  std::string r = SpawnRunner("max_output_buffer = 1000");
  // One 100 kB line never fits the 1000-byte buffer: the process is killed.
  ASSERT_EQ(Ask(r, "spawn|line|0|sh|-c|head -c 100000 /dev/zero; sleep 30"), "1");
  std::string log = WaitLog(r, "exit 1 137\n");
  EXPECT_EQ(log.find("out 1"), std::string::npos);
}

TEST_F(ProcessTest, FloodOfTinyLinesIsBounded) {
  std::string r = SpawnRunner("max_output_buffer = 4096");
  ASSERT_EQ(Ask(r, "spawn|line|0|sh|-c|yes"), "1");
  std::string log = WaitLog(r, "exit 1 137\n");
  size_t lines = 0;
  for (size_t at = 0; (at = log.find("out 1 [y]", at)) != std::string::npos; ++at) ++lines;
  EXPECT_GT(lines, 0u);
  EXPECT_LT(lines, 1000u);  // about 4096 / (2 + 64) calls may wait; the rest was dropped
}

TEST_F(ProcessTest, ExecutionTimeoutKills) {
  std::string r = SpawnRunner();
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Ask(r, "spawn|raw|200|sh|-c|sleep 30"), "1");
  WaitLog(r, "exit 1 137\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ProcessTest, ChildrenAreKilledWhenTheActorStops) {
  std::string r = SpawnRunner();
  // The host's pid: in its PID namespace `$$` is the namespace's.
  ASSERT_EQ(Ask(r, "spawn|line|0|sh|-c|read p rest < /proc/self/stat; echo $p; sleep 30"), "1");
  std::string log = WaitLog(r, "]\n");
  pid_t pid = std::stoi(log.substr(log.find('[') + 1));
  ASSERT_GT(pid, 1);
  EXPECT_EQ(kill(pid, 0), 0);
  ASSERT_TRUE(system_->Stop(r).ok());
  ASSERT_TRUE(WaitStopped(r));
  EXPECT_TRUE(WaitUntil([&] { return kill(pid, 0) != 0; }, std::chrono::seconds(5)));
}

TEST_F(ProcessTest, ReplayIsIdenticalAndStartsNothing) {
  std::string r = SpawnRunner();
  auto marker = dir_.path() / "marker";
  ASSERT_EQ(Ask(r, "spawn|line|0|sh|-c|echo ran >> " + marker.string() + "; echo done"), "1");
  WaitLog(r, "exit 1 0\n");
  ASSERT_EQ(Ask(r, "spawn|raw|0|ls"), "err: program `ls` is not in allowed_programs");
  Ask(r, "status|1");
  auto events = Events(r);
  ReplayReport report = Replay(events, {});
  ASSERT_TRUE(report.error.empty()) << report.error;
  EXPECT_TRUE(report.identical) << report.divergence->why;
  EXPECT_EQ(report.events, events.size());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(FileText(marker), "ran\n");
}

}  // namespace
}  // namespace theater
