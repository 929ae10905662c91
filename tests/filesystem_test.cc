// theater:simple/filesystem (tests/guests/fs_probe.c): every function on real files, one
// test per trick to leave the actor's directory (each refused, recorded as denied, and
// nothing outside touched), execute-command's allow list, timeout and output cap, and
// replay without the files.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "chain/state_ref.h"
#include "runtime/permissions.h"
#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::FileText;
using testing::Guest;
using testing::SystemTest;
using testing::WriteText;
using Clock = std::chrono::steady_clock;
namespace stdfs = std::filesystem;

using testing::Data;

// A word for the probe's requests: %-encoded where it would split or end the word.
std::string Enc(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == ' ' || c == '%' || c == 0) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

class FilesystemTest : public SystemTest {
 protected:
  void SetUp() override {
    SystemTest::SetUp();
    stdfs::create_directories(root());
    stdfs::create_directories(outside());
    WriteText(outside() / "secret.txt", "secret");
  }

  stdfs::path root() const { return dir_.path() / "root"; }
  stdfs::path outside() const { return dir_.path() / "outside"; }

  // A probe whose filesystem handler has `settings` (by default: the directory "root",
  // relative to the manifest's folder, the test's directory).
  std::string SpawnProbe(const std::string& settings = "path = \"root\"") {
    std::string text = "name = \"probe\"\nversion = \"1\"\ncomponent = \"" + Guest("fs-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"environment\"\n"
                       "[[handler]]\ntype = \"filesystem\"\n" + settings + "\n";
    auto m = ParseManifest(text, dir_.path(), "probe.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    auto id = system_->Spawn(*m);
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }

  // The data of the last call of `function` in `id`'s chain.
  nlohmann::json LastCall(const std::string& id, const std::string& function) {
    nlohmann::json last;
    for (const auto& e : Events(id))
      if (e.type == "theater:simple/filesystem/" + function) last = Data(e);
    return last;
  }

  // Asks `request`, expects a refusal containing `why`, recorded as denied on `function`.
  void ExpectRefused(const std::string& id, const std::string& request, const std::string& function,
                     const std::string& why) {
    std::string answer = Ask(id, request);
    EXPECT_EQ(answer.rfind("err: ", 0), 0u) << request << " -> " << answer;
    EXPECT_NE(answer.find(why), std::string::npos) << request << " -> " << answer;
    nlohmann::json call = LastCall(id, function);
    ASSERT_TRUE(call.contains("denied")) << request << ": " << call.dump();
    EXPECT_EQ("err: " + call["denied"].get<std::string>(), answer);
    EXPECT_EQ(call["result"]["err"], call["denied"]);
  }

  // Nothing outside changed: the secret is intact and nothing was added.
  void ExpectOutsideUntouched() {
    EXPECT_EQ(FileText(outside() / "secret.txt"), "secret");
    size_t entries = 0;
    for ([[maybe_unused]] const auto& e : stdfs::directory_iterator(outside())) ++entries;
    EXPECT_EQ(entries, 1u);
  }
};

TEST_F(FilesystemTest, EveryFileFunctionWorksInTheGrantedDirectory) {
  std::string probe = SpawnProbe();
  EXPECT_EQ(Ask(probe, "write a.txt hello world"), "ok");
  EXPECT_EQ(FileText(root() / "a.txt"), "hello world");  // relative to the manifest's folder
  EXPECT_EQ(Ask(probe, "read a.txt"), "ok:hello world");
  EXPECT_EQ(Ask(probe, "write a.txt shorter"), "ok");  // replaces, not appends
  EXPECT_EQ(Ask(probe, "read a.txt"), "ok:shorter");
  EXPECT_EQ(Ask(probe, "mkdir sub/deeper/deepest"), "ok");  // with its parents
  EXPECT_EQ(Ask(probe, "mkdir sub"), "ok");                 // already there: fine
  EXPECT_TRUE(stdfs::is_directory(root() / "sub/deeper/deepest"));
  EXPECT_EQ(Ask(probe, "write sub/deeper/b.txt b"), "ok");
  EXPECT_EQ(Ask(probe, "list ."), "ok:a.txt,sub");
  EXPECT_EQ(Ask(probe, "list sub/deeper/"), "ok:b.txt,deepest");
  EXPECT_EQ(Ask(probe, "exists? sub/deeper/b.txt"), "ok:true");
  EXPECT_EQ(Ask(probe, "exists? nothing/here"), "ok:false");
  EXPECT_EQ(Ask(probe, "delete a.txt"), "ok");
  EXPECT_FALSE(stdfs::exists(root() / "a.txt"));
  EXPECT_EQ(Ask(probe, "delete a.txt"), "err: path `a.txt` does not exist");
  EXPECT_EQ(Ask(probe, "delete sub"), "err: path `sub` is a directory (delete-dir deletes directories)");
  EXPECT_EQ(Ask(probe, "read sub"), "err: path `sub` is not a regular file");
  EXPECT_EQ(Ask(probe, "rmdir sub"), "ok");  // with everything in it
  EXPECT_FALSE(stdfs::exists(root() / "sub"));
  EXPECT_EQ(Ask(probe, "list ."), "ok:");
  EXPECT_TRUE(stdfs::is_directory(root()));

  // Each call is recorded with what it was given and what it answered.
  nlohmann::json write = LastCall(probe, "write-file");
  EXPECT_EQ(write["args"][0], "sub/deeper/b.txt");
  EXPECT_EQ(write["args"][1], "b");
  EXPECT_TRUE(write["result"].contains("ok"));
  std::string answer = Ask(probe, "exists? .");
  EXPECT_EQ(answer, "ok:true");
}

TEST_F(FilesystemTest, ReadFileIsRecordedWithItsContent) {
  WriteText(root() / "data.bin", std::string("bytes\0and more", 14));
  std::string probe = SpawnProbe();
  EXPECT_EQ(Ask(probe, "read data.bin"), std::string("ok:bytes\0and more", 17));
  auto bytes = LastCall(probe, "read-file")["result"]["ok"].get_binary();
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), std::string("bytes\0and more", 14));
}

TEST_F(FilesystemTest, FilesUpToTheLimitAreReadAndLargeOnesRecordedByReference) {
  WriteText(root() / "small.bin", std::string(1000, 's'));
  WriteText(root() / "big.bin", std::string(4 << 20, 'z'));
  {
    std::ofstream(root() / "over.bin").put('x');
    stdfs::resize_file(root() / "over.bin", (64ull << 20) + 1);  // sparse: refused by its size, before it is read
  }
  std::string probe = SpawnProbe();
  EXPECT_EQ(Ask(probe, "size small.bin"), "ok:1000");
  EXPECT_EQ(LastCall(probe, "read-file")["result"]["ok"].get_binary().size(), 1000u);  // inline
  auto start = Clock::now();
  EXPECT_EQ(Ask(probe, "size big.bin"), "ok:4194304");
  std::cout << "read-file of 4 MiB: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() << " ms\n";
  // By reference: the event names the bytes, the snapshot file holds them once.
  EXPECT_EQ(Ask(probe, "size big.bin"), "ok:4194304");
  std::vector<ChainEvent> reads;
  for (const ChainEvent& e : Events(probe))
    if (e.type == "theater:simple/filesystem/read-file") reads.push_back(e);
  ASSERT_EQ(reads.size(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_LT(reads[i].data.size(), 200u);
    auto ref = BytesRefIn(Data(reads[i])["result"]["ok"]);
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->size, 4u << 20);
    EXPECT_EQ(*ref, StateRefOf(ToBytes(std::string(4 << 20, 'z'))));
  }
  ASSERT_TRUE(system_->Stop(probe).ok());
  ASSERT_TRUE(WaitStopped(probe));
  EXPECT_LT(stdfs::file_size(dir_.path() / "chains" / (probe + ".chain")), 64u * 1024);
  EXPECT_EQ(stdfs::file_size(dir_.path() / "chains" / (probe + ".snapshots")), 8 + 40 + (4u << 20));
  // The default limit is 64 MiB.
  std::string other = SpawnProbe();
  ExpectRefused(other, "size over.bin", "read-file", "is 67108865 bytes, more than max_file_bytes (67108864)");
}

TEST_F(FilesystemTest, DotDotIsRefused) {
  std::string probe = SpawnProbe();
  stdfs::create_directories(root() / "a");
  ExpectRefused(probe, "read ../outside/secret.txt", "read-file", "contains `..`");
  ExpectRefused(probe, "read a/../../outside/secret.txt", "read-file", "contains `..`");
  ExpectRefused(probe, "read a/..", "read-file", "contains `..`");
  ExpectRefused(probe, "write ../outside/new.txt x", "write-file", "contains `..`");
  ExpectRefused(probe, "write a/../../outside/new.txt x", "write-file", "contains `..`");
  ExpectRefused(probe, "delete ../outside/secret.txt", "delete-file", "contains `..`");
  ExpectRefused(probe, "rmdir ../outside", "delete-dir", "contains `..`");
  ExpectRefused(probe, "mkdir a/../../outside/made", "create-dir", "contains `..`");
  ExpectRefused(probe, "list ..", "list-files", "contains `..`");
  ExpectRefused(probe, "exists? ../outside/secret.txt", "path-exists", "contains `..`");
  ExpectOutsideUntouched();
}

TEST_F(FilesystemTest, AbsolutePathIsRefused) {
  std::string probe = SpawnProbe();
  std::string secret = (outside() / "secret.txt").string(), made = (outside() / "new.txt").string();
  ExpectRefused(probe, "read " + Enc(secret), "read-file", "is absolute");
  ExpectRefused(probe, "write " + Enc(made) + " x", "write-file", "is absolute");
  ExpectRefused(probe, "delete " + Enc(secret), "delete-file", "is absolute");
  ExpectRefused(probe, "list /", "list-files", "is absolute");
  ExpectRefused(probe, "rmdir " + Enc(outside().string()), "delete-dir", "is absolute");
  ExpectOutsideUntouched();
}

TEST_F(FilesystemTest, SymlinkPointingOutsideIsRefused) {
  stdfs::create_symlink(outside() / "secret.txt", root() / "link");
  stdfs::create_symlink("../outside/secret.txt", root() / "relative-link");
  stdfs::create_symlink(outside() / "new.txt", root() / "dangling");  // would create a file outside
  std::string probe = SpawnProbe();
  for (const char* link : {"link", "relative-link"}) {
    ExpectRefused(probe, std::string("read ") + link, "read-file", "leaves the actor's directory");
    ExpectRefused(probe, std::string("write ") + link + " overwritten", "write-file", "leaves the actor's directory");
    ExpectRefused(probe, std::string("exists? ") + link, "path-exists", "leaves the actor's directory");
  }
  ExpectRefused(probe, "write dangling created", "write-file", "leaves the actor's directory");
  ExpectOutsideUntouched();
  // Deleting the link deletes the link itself, never its target.
  EXPECT_EQ(Ask(probe, "delete link"), "ok");
  EXPECT_FALSE(stdfs::is_symlink(root() / "link"));
  ExpectOutsideUntouched();
}

TEST_F(FilesystemTest, SymlinkedDirectoryIsRefused) {
  stdfs::create_directory_symlink(outside(), root() / "door");
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"sh\"]");
  ExpectRefused(probe, "read door/secret.txt", "read-file", "leaves the actor's directory");
  ExpectRefused(probe, "write door/new.txt x", "write-file", "leaves the actor's directory");
  ExpectRefused(probe, "write door/secret.txt x", "write-file", "leaves the actor's directory");
  ExpectRefused(probe, "list door", "list-files", "leaves the actor's directory");
  ExpectRefused(probe, "mkdir door/made", "create-dir", "leaves the actor's directory");
  ExpectRefused(probe, "delete door/secret.txt", "delete-file", "leaves the actor's directory");
  ExpectRefused(probe, "exec door sh -c echo%20x%20>%20new.txt", "execute-command", "leaves the actor's directory");
  // delete-dir on the link itself: it is not a directory, and what it points to stays.
  EXPECT_EQ(Ask(probe, "rmdir door"), "err: path `door` is not a directory (delete-file deletes files)");
  ExpectOutsideUntouched();
}

TEST_F(FilesystemTest, SymlinksThatStayInsideAreFollowed) {
  stdfs::create_directories(root() / "real");
  WriteText(root() / "real/data.txt", "inside");
  stdfs::create_symlink("real/data.txt", root() / "alias");
  stdfs::create_directory_symlink("real", root() / "shortcut");
  std::string probe = SpawnProbe();
  EXPECT_EQ(Ask(probe, "read alias"), "ok:inside");
  EXPECT_EQ(Ask(probe, "read shortcut/data.txt"), "ok:inside");
  EXPECT_EQ(Ask(probe, "list shortcut"), "ok:data.txt");
  EXPECT_FALSE(LastCall(probe, "list-files").contains("denied"));
}

TEST_F(FilesystemTest, VeryLongPathsAreRefused) {
  std::string probe = SpawnProbe();
  std::string long_path;
  while (long_path.size() <= 4096) long_path += "abcdefgh/";
  long_path += "x";
  ExpectRefused(probe, "write " + long_path + " x", "write-file", "bytes long; the limit is 4095 (PATH_MAX)");
  ExpectRefused(probe, "mkdir " + long_path, "create-dir", "(PATH_MAX)");
  std::string long_name(300, 'n');
  ExpectRefused(probe, "write " + long_name + " x", "write-file", "has a component of 300 bytes; the limit is 255 (NAME_MAX)");
  ExpectRefused(probe, "read dir/" + long_name, "read-file", "(NAME_MAX)");
  // The message shows the start of the path, not all of it.
  EXPECT_LT(LastCall(probe, "read-file")["denied"].get<std::string>().size(), 300u);
  EXPECT_TRUE(stdfs::is_empty(root()));
}

TEST_F(FilesystemTest, DeepTreesAreMadeAndDeleted) {
  std::string probe = SpawnProbe();
  // 1365 levels of two-byte names (each level costs the host a path walk on delete, and
  // this machine may be loaded); with a file in the deepest, the path is PATH_MAX - 1
  // bytes long.
  std::string deep = "aa";
  while (deep.size() + 3 <= 4093) deep += "/aa";
  deep += "/a";
  auto start = Clock::now();
  EXPECT_EQ(Ask(probe, "mkdir " + deep, std::chrono::seconds(60)), "ok");
  auto made = Clock::now();
  EXPECT_EQ(Ask(probe, "write " + deep + "/f x"), "ok");
  EXPECT_EQ(Ask(probe, "write " + deep + "/ff x").rfind("err: ", 0), 0u);  // one byte too long
  // Generous timeouts: this is about correctness on a loaded machine, not speed.
  EXPECT_EQ(Ask(probe, "rmdir aa", std::chrono::seconds(60)), "ok");
  std::cout << "create-dir of 2046 levels: " << std::chrono::duration_cast<std::chrono::milliseconds>(made - start).count()
            << " ms, delete-dir: " << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - made).count()
            << " ms\n";
  EXPECT_TRUE(stdfs::is_empty(root()));
}

TEST_F(FilesystemTest, NamesWithNulBytesAreRefused) {
  std::string probe = SpawnProbe();
  // Cut at the NUL, this would be "a" — or, with the rest, an escape.
  ExpectRefused(probe, "write " + Enc(std::string("a\0/../../outside/x", 18)) + " x", "write-file",
                "path `a\\0/../../outside/x` contains a NUL byte");
  ExpectRefused(probe, "read " + Enc(std::string("a\0b", 3)), "read-file", "contains a NUL byte");
  ExpectRefused(probe, "mkdir " + Enc(std::string("d\0", 2)), "create-dir", "contains a NUL byte");
  EXPECT_TRUE(stdfs::is_empty(root()));
  ExpectOutsideUntouched();
}

TEST_F(FilesystemTest, TheRootItselfCannotBeDeleted) {
  std::string probe = SpawnProbe();
  ExpectRefused(probe, "rmdir .", "delete-dir", "is the actor's directory itself");
  ExpectRefused(probe, "rmdir ./", "delete-dir", "is the actor's directory itself");
  EXPECT_TRUE(stdfs::is_directory(root()));
}

TEST_F(FilesystemTest, ReadFileRefusesFilesOverTheLimit) {
  WriteText(root() / "big.txt", std::string(20, 'x'));
  WriteText(root() / "small.txt", std::string(10, 'y'));
  std::string probe = SpawnProbe("path = \"root\"\nmax_file_bytes = 10");
  ExpectRefused(probe, "read big.txt", "read-file", "path `big.txt` is 20 bytes, more than max_file_bytes (10)");
  EXPECT_EQ(Ask(probe, "read small.txt"), "ok:yyyyyyyyyy");
  ExpectRefused(probe, "write out.txt 12345678901", "write-file", "writing 11 bytes to `out.txt` is more than max_file_bytes (10)");
  EXPECT_FALSE(stdfs::exists(root() / "out.txt"));
}

TEST_F(FilesystemTest, NewDirIsAPrivateDirectoryKeptForTheActor) {
  std::string probe = SpawnProbe("new_dir = true");
  EXPECT_EQ(Ask(probe, "write mine.txt private"), "ok");
  stdfs::path files = dir_.path() / "actors" / probe / "files";
  EXPECT_EQ(FileText(files / "mine.txt"), "private");
  EXPECT_EQ(stdfs::status(files).permissions() & stdfs::perms::all, stdfs::perms::owner_all);
  EXPECT_EQ(Ask(probe, "list ."), "ok:mine.txt");
  // A restarted actor (same id) finds its files again.
  ASSERT_TRUE(system_->Restart(probe).ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return Ask(probe, "read mine.txt") == "ok:private"; }));
  // Another actor has its own.
  std::string other = SpawnProbe("new_dir = true");
  EXPECT_EQ(Ask(other, "list ."), "ok:");
  EXPECT_EQ(Ask(other, "read mine.txt"), "err: path `mine.txt` does not exist");
}

TEST_F(FilesystemTest, MissingDirectoryIsAnErrorOnEveryCall) {
  std::string missing = SpawnProbe("path = \"nowhere\"");
  std::string expected = "err: the actor's directory `" + (dir_.path() / "nowhere").string() + "` does not exist";
  EXPECT_EQ(Ask(missing, "read a"), expected);
  EXPECT_EQ(Ask(missing, "write a x"), expected);
  EXPECT_EQ(Ask(missing, "list ."), expected);
  EXPECT_FALSE(stdfs::exists(dir_.path() / "nowhere"));
  // Once it exists, it is used.
  stdfs::create_directories(dir_.path() / "nowhere");
  EXPECT_EQ(Ask(missing, "write a x"), "ok");

  std::string none = SpawnProbe("");
  std::string why = "err: the filesystem handler grants no directory: the manifest sets neither `path` nor `new_dir = true`";
  EXPECT_EQ(Ask(none, "read a"), why);
  EXPECT_EQ(Ask(none, "exists? ."), why);
  EXPECT_EQ(Ask(none, "exec . echo"), why.substr(0, 5) + "command `echo` is not on allowed_commands");
}

TEST_F(FilesystemTest, AllowedCommandsRunInTheConfinedDirectory) {
  stdfs::create_directories(root() / "sub");
  WriteText(root() / "sub/f.txt", "from a file");
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"echo\", \"cat\", \"sh\"]");
  EXPECT_EQ(Ask(probe, "exec . echo hello world"), "exit=0 stdout=hello world\n stderr=");
  EXPECT_EQ(Ask(probe, "exec sub cat f.txt"), "exit=0 stdout=from a file stderr=");
  EXPECT_EQ(Ask(probe, "exec sub sh -c pwd"), "exit=0 stdout=" + (root() / "sub").string() + "\n stderr=");
  EXPECT_EQ(Ask(probe, "exec . sh -c echo%20oops%20>&2;%20exit%203"), "exit=3 stdout= stderr=oops\n");
  // A cleared environment: PATH only (sh adds PWD itself).
  std::string env = Ask(probe, "exec . sh -c env");
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_EQ(env.find("HOME="), std::string::npos) << env;
  // No stdin: reading it ends at once.
  EXPECT_EQ(Ask(probe, "exec . cat"), "exit=0 stdout= stderr=");
  // The call, then its result once the command ended.
  nlohmann::json call = LastCall(probe, "execute-command");
  EXPECT_EQ(call["args"][1], "cat");
  EXPECT_FALSE(call.contains("result"));
  nlohmann::json done = LastCall(probe, "execute-command/done");
  EXPECT_EQ(done["result"]["ok"]["case"], "success");
  EXPECT_EQ(done["result"]["ok"]["value"]["exit-code"], 0);
}

TEST_F(FilesystemTest, CommandsNotOnTheListAreRefused) {
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"echo\"]");
  ExpectRefused(probe, "exec . rm -rf " + Enc(outside().string()), "execute-command",
                "command `rm` is not on allowed_commands");
  ExpectRefused(probe, "exec . /bin/echo hi", "execute-command", "command `/bin/echo` is not on allowed_commands");
  ExpectRefused(probe, "exec . ./echo hi", "execute-command", "not on allowed_commands");
  ExpectRefused(probe, "exec . echo " + Enc(std::string("a\0b", 3)), "execute-command", "argument 1 `a\\0b` contains a NUL byte");
  ExpectRefused(probe, "exec .. echo hi", "execute-command", "contains `..`");
  ExpectOutsideUntouched();
}

TEST_F(FilesystemTest, CommandTimesOutAndIsKilled) {
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"sleep\"]\ncommand_timeout_ms = 200");
  auto start = Clock::now();
  EXPECT_EQ(Ask(probe, "exec . sleep 5"), "error:`sleep` timed out after 200 ms and was killed");
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2000));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(200));
}

// The command's wait is part of the export call: by default it times out before the
// call's deadline, so the actor gets the answer instead of failing.
TEST_F(FilesystemTest, DefaultTimeoutEndsTheCommandBeforeTheCallDeadline) {
  std::string text = "name = \"probe\"\nversion = \"1\"\ncomponent = \"" + Guest("fs-probe.wasm").string() +
                     "\"\n[limits]\ncall_timeout_ms = 400\n[[handler]]\ntype = \"message-server\"\n"
                     "[[handler]]\ntype = \"environment\"\n[[handler]]\ntype = \"filesystem\"\npath = \"root\"\n"
                     "allowed_commands = [\"sleep\"]\n";
  auto m = ParseManifest(text, dir_.path(), "probe.toml");
  ASSERT_TRUE(m.ok()) << m.error();
  std::string probe = system_->Spawn(*m).value();
  EXPECT_EQ(Ask(probe, "exec . sleep 5"), "error:`sleep` timed out after 300 ms and was killed");
  EXPECT_EQ(Ask(probe, "exists? ."), "ok:true");  // still alive
}

TEST_F(FilesystemTest, OutputOverTheLimitKillsTheCommand) {
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"yes\", \"head\"]\nmax_output_bytes = 1000");
  auto start = Clock::now();
  EXPECT_EQ(Ask(probe, "exec . yes"), "error:`yes` wrote more than max_output_bytes (1000 bytes) to stdout and was killed");
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2000));
  EXPECT_EQ(Ask(probe, "exec . head -c 1000 /dev/zero").size(), std::string("exit=0 stdout= stderr=").size() + 1000);
}

TEST_F(FilesystemTest, OutputThatIsNotUtf8IsMadeValid) {
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"sh\"]");
  EXPECT_EQ(Ask(probe, "exec . sh -c printf%20'a\\377\\376b'"), "exit=0 stdout=a\xEF\xBF\xBD\xEF\xBF\xBD" "b stderr=");
}

TEST_F(FilesystemTest, ARunningCommandHoldsNoWorker) {
  std::string sleeper = SpawnProbe("path = \"root\"\nallowed_commands = [\"sleep\"]");
  std::vector<std::string> others;
  for (int i = 0; i < 3; ++i) others.push_back(SpawnProbe());
  auto sleeping = system_->Request(sleeper, ToBytes("exec . sleep 0.6"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Two workers, and the sleeping command holds neither: the others answer at once.
  auto t = Clock::now();
  for (const auto& id : others) EXPECT_EQ(Ask(id, "exists? ."), "ok:true");
  EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(300));
  RequestResult r = sleeping.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(ToString(r.response), "exit=0 stdout= stderr=");
}

TEST_F(FilesystemTest, TerminatingTheActorKillsItsCommand) {
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"sh\"]\ncommand_timeout_ms = 60000");
  // The host's pid: in the command's PID namespace `$$` is the namespace's.
  auto running = system_->Request(
      probe, ToBytes("exec . sh -c read%20p%20rest%20<%20/proc/self/stat;%20echo%20$p%20>%20pid;%20exec%20sleep%2030"));
  ASSERT_TRUE(testing::WaitUntil([&] { return FileText(root() / "pid").find('\n') != std::string::npos; }));
  pid_t pid = std::stoi(FileText(root() / "pid"));
  EXPECT_EQ(::kill(pid, 0), 0);
  // A stop waits for the call to end; terminate does not.
  ASSERT_TRUE(system_->Terminate(probe).ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(3)));
  running.wait_for(std::chrono::seconds(3));
}

TEST_F(FilesystemTest, ReplayAnswersFromTheChainNotTheFiles) {
  WriteText(root() / "input.txt", "recorded");
  stdfs::create_symlink(outside() / "secret.txt", root() / "link");
  std::string probe = SpawnProbe("path = \"root\"\nallowed_commands = [\"echo\", \"sh\"]");
  EXPECT_EQ(Ask(probe, "read input.txt"), "ok:recorded");
  EXPECT_EQ(Ask(probe, "write out.txt made"), "ok");
  EXPECT_EQ(Ask(probe, "mkdir d"), "ok");
  EXPECT_EQ(Ask(probe, "list ."), "ok:d,input.txt,link,out.txt");
  EXPECT_EQ(Ask(probe, "exists? out.txt"), "ok:true");
  EXPECT_EQ(Ask(probe, "exec . echo hi"), "exit=0 stdout=hi\n stderr=");
  EXPECT_EQ(Ask(probe, "exec . sh -c cat%20input.txt"), "exit=0 stdout=recorded stderr=");
  EXPECT_EQ(Ask(probe, "rmdir d"), "ok");
  EXPECT_EQ(Ask(probe, "delete out.txt"), "ok");
  EXPECT_EQ(Ask(probe, "read link").rfind("err: ", 0), 0u);
  EXPECT_EQ(Ask(probe, "exec . rm x").rfind("err: ", 0), 0u);
  // Large bytes (a file read, a file written, the request carrying them) are recorded by
  // reference: the replay reads them from the snapshots.
  WriteText(root() / "large.bin", std::string(200 * 1024, 'L'));
  EXPECT_EQ(Ask(probe, "size large.bin"), "ok:204800");
  EXPECT_EQ(Ask(probe, "write large-out.txt " + std::string(100 * 1024, 'w')), "ok");
  auto events = Events(probe);
  auto snapshots = system_->Snapshots(probe).value();
  // The world changes: the files the actor saw are gone, the directory is another.
  stdfs::remove_all(root());
  WriteText(dir_.path() / "root", "not even a directory");
  ReplayReport without = Replay(events, ReplayOptions{});
  ASSERT_TRUE(without.divergence);
  EXPECT_NE(without.divergence->why.find("no snapshots to read them from"), std::string::npos) << without.divergence->why;
  ReplayOptions options;
  options.snapshots = snapshots.get();
  ReplayReport r = Replay(events, options);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.identical) << r.divergence->seq << ": " << r.divergence->why;
  EXPECT_EQ(r.events, events.size());
  // Nothing was run or written by the replay.
  EXPECT_EQ(FileText(dir_.path() / "root"), "not even a directory");
}

// A child's directory must be inside its parent's, symbolic links resolved; a parent with
// only a private directory cannot grant one; left-out limits are the parent's.
TEST_F(FilesystemTest, AChildGetsNoMoreThanItsParent) {
  stdfs::create_directories(root() / "sub");
  stdfs::create_directory_symlink(outside(), root() / "door");
  auto manifest = [&](const std::string& settings) {
    std::string text = "name = \"m\"\nversion = \"1\"\ncomponent = \"" + Guest("fs-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"filesystem\"\n" + settings + "\n";
    return ParseManifest(text, dir_.path(), "m.toml").value();
  };
  Permissions parent = Permissions::FromManifest(manifest("path = \"root\"\nmax_file_bytes = 10"));
  auto child = Permissions::ForChild(parent, {}, manifest("path = \"root/sub\""));
  ASSERT_TRUE(child.ok()) << child.error();
  EXPECT_EQ((*child->Settings("filesystem"))["max_file_bytes"], 10);
  EXPECT_FALSE(Permissions::ForChild(parent, {}, manifest("path = \"outside\"")).ok());
  auto through_link = Permissions::ForChild(parent, {}, manifest("path = \"root/door\""));
  ASSERT_FALSE(through_link.ok());
  EXPECT_NE(through_link.error().find("outside the parent's"), std::string::npos) << through_link.error();
  EXPECT_FALSE(Permissions::ForChild(parent, {}, manifest("path = \"root\"\nmax_file_bytes = 11")).ok());

  Permissions private_only = Permissions::FromManifest(manifest("new_dir = true"));
  auto escaped = Permissions::ForChild(private_only, {}, manifest("path = \"/etc\""));
  ASSERT_FALSE(escaped.ok());
  EXPECT_NE(escaped.error().find("the parent has no `path`"), std::string::npos) << escaped.error();
  EXPECT_TRUE(Permissions::ForChild(private_only, {}, manifest("new_dir = true")).ok());
}

}  // namespace
}  // namespace theater
