// The CLI's client commands (start, list, request, send, state, status, manifest, events,
// restart, stop, terminate, info, channel open/send/close) run as `theater` processes
// against a real `theater server` process: what they print, as text and --json, and their
// exit status: 1 when the server refuses, 2 for bad usage, 3 when there is no server.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "process_util.h"
#include "server/client.h"
#include "server_test_util.h"

namespace theater {
namespace {

using server::json;
using testing::Example;
using testing::FileText;
using testing::WaitUntil;
using testing::MessengerManifest;
using testing::TempDir;
using testing::TheaterProcess;
using testing::TheaterServer;

struct Outcome {
  int exit_code = -1;
  std::string out, err;  // stdout, stderr
};

// `text` quoted for sh.
std::string Quote(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A loopback port where nothing listens: bound (so nobody else gets it) but not listening.
class DeadPort {
 public:
  DeadPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class ClientCliTest : public ::testing::Test {
 protected:
  // A server process on data_ with no token (whatever THEATER_TOKEN this test runs with).
  void StartServer(const std::vector<std::string>& args = {},
                   const std::vector<std::string>& env = {"THEATER_TOKEN="}) {
    server_ = std::make_unique<TheaterServer>(data_, args, env);
    ASSERT_FALSE(server_->address().empty()) << "the server did not start:\n" << server_->LogText();
  }
  std::string Address() const { return server_->address(); }

  // `theater ARGS` through sh, with THEATER_SERVER set to the server's address (and no
  // THEATER_TOKEN), `input` on stdin, then the assignments of `env`.
  Outcome Theater(const std::string& args, const std::string& input = "", const std::string& env = "") {
    std::filesystem::path err = dir_ / "stderr.txt";
    std::string command = "printf '%s' " + Quote(input) + " | THEATER_HOME=" + Quote(data_.string()) +
                          " THEATER_SERVER=" + Quote(server_ ? Address() : "") + " THEATER_TOKEN= " + env + " " +
                          Quote(THEATER_BINARY) + " " + args + " 2>" + Quote(err.string());
    testing::CommandResult run = testing::RunShell(command);
    Outcome r;
    r.out = std::move(run.out);
    r.exit_code = run.exit_code;
    r.err = FileText(err);
    return r;
  }

  // `theater ARGS` as a process that keeps running (events --follow, channel open), with
  // THEATER_SERVER set; its stdin is a pipe.
  std::unique_ptr<TheaterProcess> Background(const std::vector<std::string>& args, const std::string& name) {
    return std::make_unique<TheaterProcess>(args, dir_ / (name + ".stderr"),
                                            std::vector<std::string>{"THEATER_SERVER=" + Address(), "THEATER_TOKEN="},
                                            /*stdin_pipe=*/true);
  }

  // `theater start MANIFEST`: the id it printed ("started ID").
  std::string Start(const std::string& manifest) {
    Outcome r = Theater("start " + Quote(manifest));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::smatch m;
    static const std::regex started("^started\\s+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\n$");
    EXPECT_TRUE(std::regex_match(r.out, m, started)) << r.out;
    return m.size() > 1 ? m[1].str() : "";
  }
  std::string StartKv() { return Start(Example("kv-cpp/manifest.toml").string()); }
  // The messenger test actor (tests/guests/messenger.c), from a manifest file.
  std::string StartMessenger() {
    testing::WriteText(dir_ / "messenger.toml", MessengerManifest());
    return Start((dir_ / "messenger.toml").string());
  }

  // What `request ID TEXT` printed, without its newline.
  std::string Ask(const std::string& id, const std::string& text) {
    Outcome r = Theater("request " + id + " " + Quote(text));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.out.empty() ? r.out : r.out.substr(0, r.out.size() - 1);
  }

  // The output's lines.
  static std::vector<std::string> Lines(const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  TempDir dir_;
  std::filesystem::path data_ = dir_ / "data";
  std::unique_ptr<TheaterServer> server_;
};

TEST_F(ClientCliTest, StartListRequestSendStateStatusManifestInfo) {
  StartServer();
  std::string manifest = Example("kv-cpp/manifest.toml").string();
  std::string id = StartKv();
  ASSERT_FALSE(id.empty());
  Outcome started = Theater("start " + Quote(manifest) + " --json");
  ASSERT_EQ(started.exit_code, 0) << started.err;
  json j = json::parse(started.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << started.out;
  EXPECT_EQ(j["ok"], true);
  std::string other = j.value("id", "");
  EXPECT_EQ(other.size(), 36u) << started.out;
  EXPECT_NE(other, id);

  Outcome list = Theater("list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto lines = Lines(list.out);
  ASSERT_EQ(lines.size(), 3u) << list.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("ID\\s+NAME\\s+STATUS\\s+RESTARTS\\s+EVENTS\\s+PARENT")))
      << lines[0];
  EXPECT_NE(list.out.find(id), std::string::npos);
  for (const std::string& line : {lines[1], lines[2]})
    EXPECT_TRUE(std::regex_match(line, std::regex("(" + id + "|" + other + ")\\s+kv-cpp\\s+running\\s+0\\s+\\d+\\s*")))
        << line;
  json listed = json::parse(Theater("list --json").out, nullptr, false);
  ASSERT_TRUE(listed.is_object());
  EXPECT_EQ(listed["ok"], true);
  ASSERT_EQ(listed["actors"].size(), 2u) << listed;
  for (const json& a : listed["actors"]) {
    EXPECT_TRUE(a["id"] == id || a["id"] == other) << a;
    EXPECT_EQ(a["name"], "kv-cpp");
    EXPECT_EQ(a["status"], "running");
    EXPECT_TRUE(a["parent"].is_null());
  }

  Outcome set = Theater("request " + id + " 'set a 1'");
  EXPECT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "ok\n");
  EXPECT_EQ(Ask(id, "get a"), "1");
  json asked = json::parse(Theater("request " + id + " 'get a' --json").out, nullptr, false);
  EXPECT_EQ(asked, json::parse(R"({"ok":true,"id":")" + id + R"(","response":{"text":"1","hex":"31"}})"));

  Outcome sent = Theater("send " + id + " 'set b 2'");
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(sent.out, "sent      " + id + "\n");
  // A send is answered once it is in the mailbox; the request after it is handled after it.
  EXPECT_EQ(Ask(id, "get b"), "2");
  // An argument that is not UTF-8 goes as bytes; a response that is not UTF-8 is shown in hex.
  EXPECT_EQ(Ask(id, "set c caf\xe9"), "ok");
  EXPECT_EQ(Ask(id, "get c"), "0x636166e9");
  EXPECT_EQ(Ask(id, "del c"), "deleted");

  Outcome state = Theater("state " + id);
  EXPECT_EQ(state.exit_code, 0) << state.err;
  EXPECT_EQ(state.out, "a=1\nb=2\n\n");
  json state_json = json::parse(Theater("state " + id + " --json").out, nullptr, false);
  EXPECT_EQ(state_json, json::parse(R"({"ok":true,"id":")" + id +
                                    R"(","state":{"text":"a=1\nb=2\n","hex":"613d310a623d320a"}})"));

  Outcome status = Theater("status " + id);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out, "status    running\nrestarts  0\n");
  json status_json = json::parse(Theater("status " + id + " --json").out, nullptr, false);
  EXPECT_EQ(status_json["status"]["status"], "running") << status_json;

  Outcome shown = Theater("manifest " + id);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "# " + manifest + "\n" + FileText(manifest));
  json manifest_json = json::parse(Theater("manifest " + id + " --json").out, nullptr, false);
  EXPECT_EQ(manifest_json["manifest"]["name"], "kv-cpp") << manifest_json;
  EXPECT_EQ(manifest_json["manifest"]["manifest"], FileText(manifest));

  Outcome info = Theater("info");
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("listen    " + Address() + "\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("data_dir  " + data_.string() + "\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("actors    2\n"), std::string::npos) << info.out;
  json info_json = json::parse(Theater("info --json").out, nullptr, false);
  EXPECT_EQ(info_json["ok"], true);
  EXPECT_EQ(info_json["server"]["listen"], Address()) << info_json;
  EXPECT_EQ(info_json["server"]["actors"], 2) << info_json;
  // --server instead of THEATER_SERVER.
  Outcome elsewhere = Theater("info --server " + Address(), "", "THEATER_SERVER=127.0.0.1:1");
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  EXPECT_NE(elsewhere.out.find("listen    " + Address()), std::string::npos) << elsewhere.out;
}

TEST_F(ClientCliTest, EventsPrintsTheChainAndFollowsIt) {
  StartServer();
  std::string id = StartKv();
  EXPECT_EQ(Ask(id, "set a 1"), "ok");
  static const std::regex event_line("^#(\\d+)\\s+\\S+.*\\s(\\S+/\\S+)\\s+.*$");

  Outcome three = Theater("events " + id + " --limit 3");
  EXPECT_EQ(three.exit_code, 0) << three.err;
  auto lines = Lines(three.out);
  ASSERT_EQ(lines.size(), 3u) << three.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, event_line)) << lines[i];
    EXPECT_EQ(m[1], std::to_string(i));
  }
  EXPECT_NE(lines[0].find("theater/actor-started"), std::string::npos) << lines[0];
  auto from = Lines(Theater("events " + id + " --from 1 --limit 2").out);
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0], lines[1]);
  EXPECT_EQ(from[1], lines[2]);
  auto as_json = Lines(Theater("events " + id + " --limit 3 --json").out);
  ASSERT_EQ(as_json.size(), 3u);
  for (size_t i = 0; i < as_json.size(); ++i) {
    json e = json::parse(as_json[i], nullptr, false);
    EXPECT_EQ(e["actor"], id) << as_json[i];
    EXPECT_EQ(e["event"]["seq"], i) << as_json[i];
  }
  size_t total = Lines(Theater("events " + id).out).size();
  ASSERT_GT(total, 3u);

  // --follow prints the chain so far, then each new event, until it is killed.
  auto follow = Background({"events", id, "--follow"}, "follow");
  ASSERT_TRUE(follow->started());
  uint64_t next = 0;
  auto read_until = [&](uint64_t seq) {
    while (next <= seq) {
      auto line = follow->ReadLine(std::chrono::seconds(10));
      if (!line) return false;
      std::smatch m;
      EXPECT_TRUE(std::regex_match(*line, m, event_line)) << *line;
      EXPECT_EQ(m[1], std::to_string(next)) << "events in chain order, no gap, no repeat";
      ++next;
    }
    return true;
  };
  ASSERT_TRUE(read_until(total - 1)) << FileText(dir_ / "follow.stderr");
  EXPECT_EQ(Ask(id, "set c 3"), "ok");
  ASSERT_TRUE(read_until(total)) << "no new event line after a request";
  EXPECT_FALSE(follow->Wait(std::chrono::milliseconds(0))) << "events --follow ended by itself";
  EXPECT_EQ(follow->Signal(SIGTERM), 128 + SIGTERM);
}

TEST_F(ClientCliTest, RestartStopTerminate) {
  StartServer();
  std::string id = StartKv(), other = StartKv();
  EXPECT_EQ(Ask(id, "set a 1"), "ok");

  Outcome restarted = Theater("restart " + id);
  EXPECT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(restarted.out, "restarted " + id + "\n");
  EXPECT_EQ(Theater("status " + id).out, "status    running\nrestarts  1\n");
  EXPECT_EQ(Ask(id, "get a"), "not found: a") << "a restart begins from the initial state";
  json again = json::parse(Theater("restart " + id + " --json").out, nullptr, false);
  EXPECT_EQ(again["ok"], true) << again;
  EXPECT_EQ(again["response"]["restarts"], 2) << again;

  Outcome stopped = Theater("stop " + id);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(stopped.out, "stopped   " + id + "\n");
  EXPECT_EQ(Theater("status " + id).out, "status    stopped (stopped)\nrestarts  2\n");
  EXPECT_EQ(Theater("stop " + id).exit_code, 0) << "stopping a stopped actor is not an error";
  Outcome refused = Theater("request " + id + " 'get a'");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_FALSE(refused.err.empty());

  Outcome terminated = Theater("terminate " + other);
  EXPECT_EQ(terminated.exit_code, 0) << terminated.err;
  EXPECT_EQ(terminated.out, "terminated " + other + "\n");
  EXPECT_NE(Theater("status " + other).out.find("status    stopped (terminated)"), std::string::npos);

  // A stopped actor can be restarted.
  EXPECT_EQ(Theater("restart " + id).exit_code, 0);
  EXPECT_EQ(Ask(id, "set z 26"), "ok");
  auto list = Lines(Theater("list").out);
  ASSERT_EQ(list.size(), 3u);
  for (size_t i = 1; i < list.size(); ++i)
    EXPECT_TRUE(list[i].find(id) == std::string::npos || list[i].find(" running ") != std::string::npos) << list[i];
}

TEST_F(ClientCliTest, ChannelOpenSendsStdinAndPrintsTheActorsMessages) {
  StartServer();
  std::string id = StartMessenger();
  ASSERT_FALSE(id.empty());
  Outcome r = Theater("channel open " + id + " --message welcome", "hi\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("^opened\\s+([0-9a-f-]{36}) "))) << r.out;
  std::string channel = m[1];
  EXPECT_NE(r.out.find("\nmessage   hello from the other side\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nclosed    " + channel + "\n"), std::string::npos) << r.out;
  std::string expected = "open:" + channel + ":welcome\nchan:" + channel + ":hi\nclose:" + channel + "\n";
  std::string transcript;
  EXPECT_TRUE(WaitUntil([&] { return (transcript = Ask(id, "transcript")) == expected; })) << transcript;

  // Bytes that are not UTF-8, from arguments and stdin, reach the actor as they are.
  EXPECT_EQ(Ask(id, "set \xe9"), "ok");
  EXPECT_EQ(Theater("send " + id + " '\xff'").exit_code, 0);
  Outcome bytes = Theater("channel open " + id + " --message '\xfe'", "\xfd\n");
  EXPECT_EQ(bytes.exit_code, 0) << bytes.out << bytes.err;
  ASSERT_TRUE(std::regex_search(bytes.out, m, std::regex("^opened\\s+([0-9a-f-]{36}) "))) << bytes.out;
  expected = "\xe9send:\xff\nopen:" + m[1].str() + ":\xfe\nchan:" + m[1].str() + ":\xfd\nclose:" + m[1].str() + "\n";
  EXPECT_TRUE(WaitUntil([&] { return (transcript = Ask(id, "transcript")) == "0x" + ToHex(ToBytes(expected)); }))
      << transcript;

  Outcome rejected = Theater("channel open " + id + " --message reject");
  EXPECT_EQ(rejected.exit_code, 1) << rejected.out;
  EXPECT_FALSE(rejected.err.empty());
  EXPECT_EQ(Theater("channel open 00000000-0000-4000-8000-000000000000").exit_code, 1);
}

TEST_F(ClientCliTest, ChannelSendAndCloseOnAChannelHeldOpenByAnotherProcess) {
  StartServer();
  std::string id = StartMessenger();
  ASSERT_FALSE(id.empty());
  auto open = Background({"channel", "open", id}, "open");
  auto opened = open->ReadLineWith("opened", std::chrono::seconds(10));
  ASSERT_TRUE(opened) << FileText(dir_ / "open.stderr");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*opened, m, std::regex("^opened\\s+([0-9a-f-]{36}) "))) << *opened;
  std::string channel = m[1];

  Outcome sent = Theater("channel send " + channel + " 'from afar'");
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(sent.out, "sent      " + channel + "\n");
  EXPECT_EQ(json::parse(Theater("channel send " + channel + " again --json").out, nullptr, false),
            json::parse(R"({"ok":true,"channel_id":")" + channel + R"("})"));
  // Lines on its stdin are sent, each as soon as it is there (two in one write too).
  ASSERT_TRUE(open->WriteStdin("typed\nand more\n"));
  std::string transcript;
  EXPECT_TRUE(WaitUntil([&] {
    transcript = Ask(id, "transcript");
    return transcript.find("chan:" + channel + ":typed\nchan:" + channel + ":and more\n") != std::string::npos;
  })) << transcript;
  EXPECT_NE(transcript.find("chan:" + channel + ":from afar\nchan:" + channel + ":again\n"), std::string::npos)
      << transcript;
  // What the actor sends on the channel is printed by the process that opened it.
  EXPECT_EQ(Ask(id, "chan-send " + channel + " back at you"), "ok");
  auto message = open->ReadLineWith("back at you", std::chrono::seconds(10));
  ASSERT_TRUE(message) << FileText(dir_ / "open.stderr");
  EXPECT_EQ(*message, "message   back at you");

  Outcome closed = Theater("channel close " + channel);
  EXPECT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_EQ(closed.out, "closed    " + channel + "\n");
  // The opener is told that another client closed it, and ends.
  auto told = open->ReadLineWith("ChannelClosed", std::chrono::seconds(10));
  ASSERT_TRUE(told);
  EXPECT_NE(told->find("another client"), std::string::npos) << *told;
  EXPECT_EQ(open->Wait(std::chrono::seconds(10)), 0);
  EXPECT_TRUE(WaitUntil([&] {
    return (transcript = Ask(id, "transcript")).find("close:" + channel + "\n") != std::string::npos;
  })) << transcript;

  Outcome late = Theater("channel send " + channel + " late");
  EXPECT_EQ(late.exit_code, 1) << late.out;
  EXPECT_FALSE(late.err.empty());
  EXPECT_EQ(Theater("channel close " + channel).exit_code, 1);

  // The actor closes a channel: the process that opened it is told, and ends.
  auto second = Background({"channel", "open", id}, "second");
  opened = second->ReadLineWith("opened", std::chrono::seconds(10));
  ASSERT_TRUE(opened) << FileText(dir_ / "second.stderr");
  ASSERT_TRUE(std::regex_search(*opened, m, std::regex("^opened\\s+([0-9a-f-]{36}) "))) << *opened;
  EXPECT_EQ(Ask(id, "close " + m[1].str()), "ok");
  told = second->ReadLineWith("ChannelClosed", std::chrono::seconds(10));
  ASSERT_TRUE(told);
  EXPECT_NE(told->find("\"by\":\"actor\""), std::string::npos) << *told;
  EXPECT_EQ(second->Wait(std::chrono::seconds(10)), 0);
}

TEST_F(ClientCliTest, ExitStatusSaysWhatWentWrong) {
  StartServer();
  std::string id = StartKv();

  // 1: the server refused (no such actor).
  for (const char* command : {"status nobody", "state nobody", "stop nobody", "events nobody", "request nobody hi"}) {
    Outcome r = Theater(command);
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.out << r.err;
    EXPECT_EQ(r.out, "") << command;
    EXPECT_NE(r.err.find("no actor with id nobody"), std::string::npos) << command << ": " << r.err;
  }
  json refused = json::parse(Theater("status nobody --json").out, nullptr, false);
  EXPECT_EQ(refused["ok"], false) << refused;
  EXPECT_EQ(refused["error"]["kind"], "ActorNotFound") << refused;

  // 2: bad usage.
  for (const std::string& command :
       {std::string("status"), "request " + id, std::string("start"), std::string("start /nonexistent/manifest.toml"),
        "start " + Example("kv-cpp/manifest.toml").string() + " --state '{not json'", "events " + id + " --limit x",
        std::string("list --bogus"), std::string("channel"), std::string("channel send")}) {
    Outcome r = Theater(command);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.out << r.err;
  }
  EXPECT_NE(Theater("start /nonexistent/manifest.toml").err.find("no such file"), std::string::npos);

  // 3: no server at the address, from --server or THEATER_SERVER.
  DeadPort dead;
  for (const std::string& command : {"list --server " + dead.address(), "status " + id + " --server " + dead.address(),
                                     "channel open " + id + " --server " + dead.address()}) {
    Outcome r = Theater(command);
    EXPECT_EQ(r.exit_code, 3) << command << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("cannot reach the Theater server at " + dead.address()), std::string::npos) << r.err;
  }
  EXPECT_EQ(Theater("info", "", "THEATER_SERVER=" + dead.address()).exit_code, 3);

  // Every client command's --help shows an example of it.
  for (const std::string command : {"start", "stop", "terminate", "restart", "list", "status", "state", "manifest",
                                    "events", "send", "request", "info", "channel open", "channel send",
                                    "channel close"}) {
    Outcome help = Theater(command + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    size_t example = help.out.find("Example");
    ASSERT_NE(example, std::string::npos) << command << ":\n" << help.out;
    EXPECT_NE(help.out.find("theater " + command + " ", example), std::string::npos) << command << ":\n" << help.out;
  }
}

TEST_F(ClientCliTest, AServerWithATokenRefusesClientsWithoutIt) {
  StartServer({"--token", "s3cret"});
  Outcome without = Theater("list");
  EXPECT_EQ(without.exit_code, 1) << without.out << without.err;
  EXPECT_NE(without.err.find("requires a token"), std::string::npos) << without.err;
  Outcome wrong = Theater("list --token wrong");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("refused the token"), std::string::npos) << wrong.err;
  Outcome with_env = Theater("list", "", "THEATER_TOKEN=s3cret");
  EXPECT_EQ(with_env.exit_code, 0) << with_env.err;
  EXPECT_EQ(Lines(with_env.out).size(), 1u) << with_env.out;  // the table's header
  Outcome with_flag = Theater("start " + Example("kv-cpp/manifest.toml").string() + " --token s3cret");
  EXPECT_EQ(with_flag.exit_code, 0) << with_flag.err;
  Outcome listed = Theater("list --json", "", "THEATER_TOKEN=s3cret");
  EXPECT_EQ(json::parse(listed.out, nullptr, false)["actors"].size(), 1u) << listed.out;

  // THEATER_TOKEN gives the server its token too.
  server_.reset();
  StartServer({}, {"THEATER_TOKEN=from-env"});
  EXPECT_EQ(Theater("list").exit_code, 1);
  EXPECT_EQ(Theater("list --token from-env").exit_code, 0);
}

TEST_F(ClientCliTest, AServerOnANonLoopbackAddressNeedsAToken) {
  TheaterProcess refused({"--data-dir", data_.string(), "server", "--listen", "0.0.0.0:0"}, dir_ / "refused.stderr",
                         {"THEATER_TOKEN="});
  EXPECT_EQ(refused.Wait(std::chrono::seconds(30)), 2);
  EXPECT_NE(FileText(dir_ / "refused.stderr").find("token"), std::string::npos) << FileText(dir_ / "refused.stderr");

  TheaterServer open(data_, {"--listen", "0.0.0.0:0", "--token", "s3cret"}, {"THEATER_TOKEN="});
  std::smatch m;
  ASSERT_TRUE(std::regex_match(open.address(), m, std::regex("0\\.0\\.0\\.0:(\\d+)"))) << open.LogText();
  std::string loopback = "127.0.0.1:" + m[1].str();
  EXPECT_EQ(Theater("list --server " + loopback + " --token s3cret").exit_code, 0);
  EXPECT_EQ(Theater("list --server " + loopback).exit_code, 1);
}

}  // namespace
}  // namespace theater
