// Issue 12, items 9 and 10: what an actor allowed to run programs (theater:simple/process,
// filesystem execute-command) could do to the host with them.
//   9. Loader variables in a program's environment (LD_DEBUG_OUTPUT wrote a file outside
//      every grant; LD_PRELOAD loads code): never passed, whatever the manifest says.
//  10. A program that calls setsid outlived its command and its actor: now every program
//      runs in a PID namespace (or under a subreaper) that ends with it.
// The escaped processes write their pid (the host's, from /proc/self/stat: `$$` is the
// namespace's) to a file; each test kills what it finds still running.
#include <signal.h>

#include "tests/system_test_util.h"
#include "host/process_spawn.h"

namespace theater {
namespace {

using testing::FileText;
using testing::Guest;
using testing::SystemTest;
using testing::WaitUntil;
namespace stdfs = std::filesystem;

nlohmann::json Data(const ChainEvent& e) { return nlohmann::json::from_cbor(e.data); }

// Shell commands that start a background process in a session of its own (setsid), no
// longer in the command's process group, which writes its host pid to `pid_file` and
// sleeps (stdio away, so that nothing waits for it); then wait until it has written it.
std::string EscapeTo(const std::string& pid_file) {
  return "setsid sh -c 'read p rest < /proc/self/stat; echo $p > " + pid_file +
         "; exec sleep 300' < /dev/null > /dev/null 2>&1 & while [ ! -s " + pid_file + " ]; do sleep 0.02; done;";
}

class HostileProcess : public SystemTest {
 protected:
  void TearDown() override {
    for (pid_t pid : escaped_) ::kill(pid, SIGKILL);  // found alive (before the fix): ours
    SystemTest::TearDown();
    host::ChildProcess::AllowNamespacesForTesting(true);
  }

  std::string SpawnRunner(const std::string& settings = "") {
    std::string text = "name = \"runner\"\nversion = \"1\"\ncomponent = \"" + Guest("runner.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"process\"\n"
                       "allowed_programs = [\"sh\", \"echo\"]\n" + settings + "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "runner.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    if (!m.ok()) return "";
    auto id = system_->Spawn(*m);
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }

  std::string SpawnProbe(const std::string& settings) {
    std::string text = "name = \"probe\"\nversion = \"1\"\ncomponent = \"" + Guest("fs-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"environment\"\n"
                       "[[handler]]\ntype = \"filesystem\"\n" + settings + "\n";
    auto m = ParseManifest(text, dir_.path(), "probe.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    auto id = system_->Spawn(*m);
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }

  std::string WaitLog(const std::string& id, const std::string& text) {
    std::string log;
    WaitUntil([&] { return (log = Ask(id, "log")).find(text) != std::string::npos; });
    EXPECT_NE(log.find(text), std::string::npos) << log;
    return log;
  }

  // The pid the escaped process wrote to `file` (0 if it never did).
  pid_t EscapedPid(const stdfs::path& file) {
    WaitUntil([&] { return FileText(file).find('\n') != std::string::npos; }, std::chrono::seconds(10));
    std::string text = FileText(file);
    if (text.find('\n') == std::string::npos) return 0;
    return std::stoi(text);
  }

  // Waits until `pid` is gone; false (and it is killed at the end) if it is still there.
  bool Gone(pid_t pid) {
    if (WaitUntil([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(5))) return true;
    escaped_.push_back(pid);
    return false;
  }

  std::vector<pid_t> escaped_;
};

// Item 9: the loader's variables, asked for by the actor, allowed by the manifest or not.
TEST_F(HostileProcess, LoaderVariablesNeverReachAProgram) {
  stdfs::path debug_out = dir_.path() / "ld-debug";
  auto debug_files = [&] {
    size_t n = 0;
    for (const auto& e : stdfs::directory_iterator(dir_.path()))
      n += e.path().filename().string().rfind("ld-debug", 0) == 0;
    return n;
  };
  const std::string never = "err: environment variable `LD_DEBUG` is never passed to processes: it makes the dynamic "
                            "loader load code or write files";
  const std::string request = "env|LD_DEBUG=all;LD_DEBUG_OUTPUT=" + debug_out.string() + "|echo|hi";
  // A manifest that allows no variable.
  std::string r = SpawnRunner();
  std::string answer = Ask(r, request);
  if (answer.rfind("err: ", 0) != 0) WaitLog(r, "exit " + answer + " ");  // (before the fix: it ran)
  EXPECT_EQ(answer, never);
  EXPECT_EQ(debug_files(), 0u) << "the loader wrote " << debug_out << ".<pid>";
  auto spawn = FindEvent(r, "theater:simple/process/os-spawn");
  ASSERT_TRUE(spawn);
  EXPECT_EQ("err: " + Data(*spawn).value("denied", std::string()), never);

  // A manifest that lists them: still never.
  std::string lax = SpawnRunner("allowed_env = [\"LD_*\", \"LD_PRELOAD\", \"LD_DEBUG\", \"LD_DEBUG_OUTPUT\", "
                                "\"GCONV_PATH\", \"BASH_ENV\", \"GREETING\"]");
  ASSERT_FALSE(lax.empty());
  answer = Ask(lax, request);
  if (answer.rfind("err: ", 0) != 0) WaitLog(lax, "exit " + answer + " ");
  EXPECT_EQ(answer, never);
  EXPECT_EQ(debug_files(), 0u);
  EXPECT_EQ(Ask(lax, "env|LD_PRELOAD=" + (dir_.path() / "evil.so").string() + "|echo|hi"),
            "err: environment variable `LD_PRELOAD` is never passed to processes: it makes the dynamic loader load "
            "code or write files");
  EXPECT_NE(Ask(lax, "env|GCONV_PATH=/tmp|echo|hi").find("`GCONV_PATH` is never passed to processes"), std::string::npos);
  EXPECT_EQ(Ask(lax, "env|BASH_ENV=/tmp/x|sh|-c|true"),
            "err: environment variable `BASH_ENV` is never passed to processes: it makes shells run code or parse "
            "commands differently");
  EXPECT_NE(Ask(lax, "env|MALLOC_PERTURB_=1|echo|hi").find("`MALLOC_PERTURB_` is never passed"), std::string::npos);
  EXPECT_EQ(Ask(lax, "env|BASH_FUNC_x%%=() { echo pwned|sh|-c|true"),
            "err: environment variable `BASH_FUNC_x%%` has a bad name (letters, digits and _ only) or a NUL byte");
  // What the manifest allows (and only that) still gets through.
  ASSERT_EQ(Ask(lax, "env|GREETING=hi there|sh|-c|echo \"$GREETING\""), "1");
  WaitLog(lax, "out 1 [hi there]\n");
  EXPECT_EQ(Ask(r, "env|GREETING=x|echo|hi"), "err: environment variable `GREETING` is not in allowed_env");
}

// Item 10, process: a setsid'd child goes when its command ends...
TEST_F(HostileProcess, SetsidChildEndsWithItsProcess) {
  std::string r = SpawnRunner();
  stdfs::path pid_file = dir_.path() / "escaped.pid";
  ASSERT_EQ(Ask(r, "env||sh|-c|" + EscapeTo(pid_file.string()) + " echo started"), "1");
  pid_t pid = EscapedPid(pid_file);
  ASSERT_GT(pid, 1);
  WaitLog(r, "exit 1 0\n");
  EXPECT_TRUE(Gone(pid)) << "process " << pid << " outlived its command";
}

// ... and when its actor stops.
TEST_F(HostileProcess, SetsidChildEndsWhenTheActorStops) {
  std::string r = SpawnRunner();
  stdfs::path pid_file = dir_.path() / "escaped.pid";
  ASSERT_EQ(Ask(r, "env||sh|-c|" + EscapeTo(pid_file.string()) + " exec sleep 300"), "1");
  pid_t pid = EscapedPid(pid_file);
  ASSERT_GT(pid, 1);
  EXPECT_EQ(::kill(pid, 0), 0);
  ASSERT_TRUE(system_->Stop(r).ok());
  ASSERT_TRUE(WaitStopped(r));
  EXPECT_TRUE(Gone(pid)) << "process " << pid << " outlived its actor";
}

// Item 10, execute-command: a setsid'd child goes when the command ends.
TEST_F(HostileProcess, SetsidChildEndsWithItsCommand) {
  stdfs::create_directories(dir_.path() / "root");
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"sh\"]");
  std::string script = EscapeTo("escaped.pid") + " echo started";
  std::string encoded;
  for (char c : script) encoded += c == ' ' ? std::string("%20") : std::string(1, c);
  EXPECT_EQ(Ask(probe, "exec . sh -c " + encoded), "exit=0 stdout=started\n stderr=");
  pid_t pid = EscapedPid(dir_.path() / "root" / "escaped.pid");
  ASSERT_GT(pid, 1);
  EXPECT_TRUE(Gone(pid)) << "process " << pid << " outlived its command";
}

// Without namespaces (not root and no user namespaces), theater-init as subreaper still
// finds a setsid'd child, both when the program ends and when the actor stops.
TEST_F(HostileProcess, SubreaperFallbackEndsSetsidChildren) {
  host::ChildProcess::AllowNamespacesForTesting(false);
  std::string r = SpawnRunner();
  stdfs::path ended = dir_.path() / "ended.pid", stopped = dir_.path() / "stopped.pid";
  ASSERT_EQ(Ask(r, "env||sh|-c|" + EscapeTo(ended.string()) + " echo started"), "1");
  pid_t first = EscapedPid(ended);
  ASSERT_GT(first, 1);
  WaitLog(r, "exit 1 0\n");
  EXPECT_TRUE(Gone(first)) << "process " << first << " outlived its command";
  ASSERT_EQ(Ask(r, "env||sh|-c|" + EscapeTo(stopped.string()) + " exec sleep 300"), "2");
  pid_t second = EscapedPid(stopped);
  ASSERT_GT(second, 1);
  ASSERT_TRUE(system_->Stop(r).ok());
  ASSERT_TRUE(WaitStopped(r));
  EXPECT_TRUE(Gone(second)) << "process " << second << " outlived its actor";
}

}  // namespace
}  // namespace theater
