// The CLI's client commands against a server, through the real `theater` binary.
#include <gtest/gtest.h>

#include <regex>

#include "server_test_util.h"

namespace theater {
namespace {

using server::json;
using testing::CommandResult;
using testing::Example;
using testing::RunTheater;
using testing::ServerTest;

class ClientCliTest : public ServerTest {
 protected:
  CommandResult Theater(const std::string& args) { return RunTheater(args + " --server " + Address(), dir_.path()); }
  // `theater start` of the kv example; its id.
  std::string StartKv() {
    auto r = Theater("start " + Example("kv-cpp/manifest.toml").string() + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("id", "") : "";
  }
};

TEST_F(ClientCliTest, StartRequestListStatusStateEventsStop) {
  StartServer();
  auto started = Theater("start " + Example("kv-cpp/manifest.toml").string());
  ASSERT_EQ(started.exit_code, 0) << started.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(started.out, m, std::regex("started\\s+([0-9a-f-]{36})"))) << started.out;
  std::string id = m[1];

  EXPECT_EQ(Theater("request " + id + " 'set a 1'").out, "ok\n");
  EXPECT_EQ(Theater("request " + id + " 'get a'").out, "1\n");
  EXPECT_EQ(Theater("send " + id + " 'set b 2'").exit_code, 0);
  auto list = Theater("list");
  EXPECT_NE(list.out.find(id), std::string::npos);
  EXPECT_NE(list.out.find("kv-cpp"), std::string::npos);
  json list_json = json::parse(Theater("list --json").out, nullptr, false);
  ASSERT_TRUE(list_json.is_object()) << list_json;
  EXPECT_EQ(list_json["actors"][0]["id"], id);
  EXPECT_NE(Theater("status " + id).out.find("running"), std::string::npos);
  for (int i = 0; i < 100 && Theater("state " + id).out.find("b=2") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(Theater("state " + id).out.find("a=1"), std::string::npos);
  json state = json::parse(Theater("state " + id + " --json").out, nullptr, false);
  EXPECT_NE(state["state"]["text"].get<std::string>().find("b=2"), std::string::npos);
  EXPECT_NE(Theater("manifest " + id).out.find("name = \"kv-cpp\""), std::string::npos);
  auto events = Theater("events " + id + " --limit 3");
  EXPECT_EQ(std::count(events.out.begin(), events.out.end(), '\n'), 3) << events.out;
  EXPECT_NE(events.out.find("theater/actor-started"), std::string::npos);
  EXPECT_NE(Theater("inspect " + id).out.find("running"), std::string::npos);
  EXPECT_NE(Theater("info").out.find("theater 0.1.0"), std::string::npos);
  EXPECT_EQ(Theater("restart " + id).exit_code, 0);
  EXPECT_EQ(Theater("stop " + id).exit_code, 0);
  EXPECT_NE(Theater("status " + id).out.find("stopped"), std::string::npos);
  std::string other = StartKv();
  EXPECT_EQ(Theater("terminate " + other).exit_code, 0);
}

TEST_F(ClientCliTest, ExitCodesSayWhatWentWrong) {
  StartServer();
  auto missing = Theater("status 00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("no actor"), std::string::npos);
  EXPECT_EQ(Theater("start /nonexistent/manifest.toml").exit_code, 2);
  EXPECT_EQ(Theater("request").exit_code, 2);
  auto none = RunTheater("list --server 127.0.0.1:1", dir_.path());
  EXPECT_EQ(none.exit_code, 3) << none.out;
  EXPECT_NE(none.out.find("cannot reach"), std::string::npos);
  for (const char* cmd : {"start", "stop", "list", "events", "request", "channel open"})
    EXPECT_NE(RunTheater(std::string(cmd) + " --help", dir_.path()).out.find("Example"), std::string::npos) << cmd;
}

TEST_F(ClientCliTest, ChannelOpenSendsStdinLinesAndPrintsTheActorsMessages) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  testing::WriteText(dir_.path() / "lines.txt", "hi there\n");
  auto r = RunTheater("channel open " + id + " --message welcome --server " + Address() + " < '" +
                          (dir_.path() / "lines.txt").string() + "'",
                      dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("hello from the other side"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("opened\\s+([0-9a-f-]{36})"))) << r.out;
  std::string transcript = Ask(*client, id, "transcript");
  EXPECT_NE(transcript.find("chan:" + std::string(m[1]) + ":hi there"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("close:" + std::string(m[1])), std::string::npos) << transcript;
  EXPECT_EQ(Theater("channel send " + std::string(m[1]) + " late").exit_code, 1);
}

TEST_F(ClientCliTest, ATokenIsSentFromTheEnvironmentOrTheFlag) {
  StartServer([](server::ServerOptions& o) { o.auth_token = "s3cret"; });
  EXPECT_EQ(Theater("list").exit_code, 1);
  EXPECT_EQ(Theater("list --token s3cret").exit_code, 0);
  auto wrong = Theater("list --token wrong");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("refused the token"), std::string::npos) << wrong.out;
  ::setenv("THEATER_TOKEN", "s3cret", 1);
  auto env = Theater("list");
  ::unsetenv("THEATER_TOKEN");
  EXPECT_EQ(env.exit_code, 0) << env.out;
  auto refused = RunTheater("server --listen 0.0.0.0:0", dir_.path());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.out.find("token"), std::string::npos);
}

}  // namespace
}  // namespace theater
