// End to end through the `theater` binary.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace theater {
namespace {

using nlohmann::json;
using testing::RunTheater;
using testing::TempDir;

std::vector<json> JsonLines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    lines.push_back(j);
  }
  return lines;
}

std::vector<json> Events(const std::vector<json>& lines, const std::string& kind) {
  std::vector<json> out;
  for (const json& j : lines)
    if (j.value("event", "") == kind) out.push_back(j);
  return out;
}

using testing::Q;

TEST(Cli, RunsTheCExampleAndItsChainVerifies) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Example("greeter-c/manifest.toml")) +
                          " --send 'hi there' --request Ada --request Bob --json",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto lines = JsonLines(r.out);
  auto responses = Events(lines, "response");
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0]["response"]["text"], "Hello, Ada! You are visitor number 1.");
  EXPECT_EQ(responses[1]["response"]["text"], "Hello, Bob! You are visitor number 2.");
  auto logs = Events(lines, "log");
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[1]["text"], "note: hi there");
  json summary = Events(lines, "summary").at(0);
  EXPECT_TRUE(summary["ok"]);
  std::string id = summary["actor_id"];

  auto verified = RunTheater("chain verify " + id, home.path());
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("OK: " + std::to_string(summary["events"].get<int>()) + " events, head " +
                              summary["head"].get<std::string>()),
            std::string::npos)
      << verified.out;

  // Change one byte in the middle of the saved chain: verify must fail.
  std::filesystem::path chain = summary["chain"].get<std::string>();
  Bytes bytes = ReadFile(chain).value();
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomic(chain, bytes).ok());
  auto tampered = RunTheater("chain verify " + id, home.path());
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out;
  EXPECT_NE(tampered.out.find("FAILED"), std::string::npos) << tampered.out;
}

TEST(Cli, RunsTheCppExample) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Example("kv-cpp/manifest.toml")) +
                          " --request 'set lang c++' --send 'set year 2026' --request 'get lang' --request keys",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("response  \"ok\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("response  \"c++\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("response  \"lang,year\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("log       set year 2026 -> ok"), std::string::npos) << r.out;
}

TEST(Cli, RunsTheC_PingPongPair) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Example("ping-pong/ping.toml")) + " " + Q(testing::Example("ping-pong/pong.toml")) +
                          " --request 'play {{pong}} 3' --json",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto lines = JsonLines(r.out);
  EXPECT_EQ(Events(lines, "response").at(0)["response"]["text"], "3 of 3 pings answered");
  auto summaries = Events(lines, "summary");
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[1]["actor"], "pong");
  EXPECT_EQ(summaries[1]["state"]["text"], "3");
  for (const json& s : summaries) {
    auto verified = RunTheater("chain verify " + s["actor_id"].get<std::string>(), home.path());
    EXPECT_EQ(verified.exit_code, 0) << verified.out;
  }
}

TEST(Cli, RunsTheChatRoomWithChannels) {
  TempDir home;
  std::string member = Q(testing::Example("chat/member.toml"));
  auto r = RunTheater("run " + member + "@alice " + member + "@bob " + Q(testing::Example("chat/room.toml")) +
                          " --to alice --request 'join {{room}} alice' --to bob --request 'join {{room}} bob'"
                          " --to alice --request 'say hi bob' --to bob --request transcript --json",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto responses = Events(JsonLines(r.out), "response");
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[3]["actor"], "bob");
  EXPECT_EQ(responses[3]["response"]["text"], "welcome, bob\nalice: hi bob\n");
}

TEST(Cli, UnknownTargetOrDuplicateNameIsAUsageError) {
  TempDir home;
  std::string counter = Q(testing::Fixture("counter.toml"));
  auto r = RunTheater("run " + counter + " --to nobody --send x", home.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--to nobody: no actor of that name"), std::string::npos) << r.out;
  r = RunTheater("run " + counter + " " + counter, home.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("MANIFEST@NAME"), std::string::npos) << r.out;
}

TEST(Cli, RunsTheSupervisionTree) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Example("supervision/supervisor.toml")) +
                          " --request 'job 2' --request 'job 3' --request 'job 4' --request 'job 5' --json",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto lines = JsonLines(r.out);
  auto responses = Events(lines, "response");
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_NE(responses[0]["response"]["text"].get<std::string>().find("2 squared is 4"), std::string::npos);
  EXPECT_NE(responses[1]["response"]["text"].get<std::string>().find("could not do it"), std::string::npos);
  EXPECT_NE(responses[3]["response"]["text"].get<std::string>().find("5 squared is 25"), std::string::npos);
  auto summaries = Events(lines, "summary");
  ASSERT_EQ(summaries.size(), 3u);  // the supervisor and its two workers
  int restarts = 0;
  for (const json& s : summaries) restarts += s["restarts"].get<int>();
  EXPECT_EQ(restarts, 1);
  for (const json& s : summaries) {
    auto verified = RunTheater("chain verify " + s["actor_id"].get<std::string>(), home.path());
    EXPECT_EQ(verified.exit_code, 0) << verified.out;
  }
}

TEST(Cli, InspectShowsStatusCauseRestartsAndLastEvents) {
  TempDir home;
  auto run = RunTheater("run " + Q(testing::Example("supervision/supervisor.toml")) + " --request 'job 3' --json",
                        home.path());
  std::string worker;
  for (const json& s : Events(JsonLines(run.out), "summary"))
    if (s["restarts"] == 1) worker = s["actor_id"];
  ASSERT_FALSE(worker.empty()) << run.out;
  auto r = RunTheater("inspect " + worker + " --json", home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["restarts"], 1);
  EXPECT_EQ(j["cause"]["kind"], "trap");
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(j["last_events"].size(), 10u);
  auto text = RunTheater("inspect " + worker, home.path());
  EXPECT_NE(text.out.find("restarts  1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("cause     trap"), std::string::npos) << text.out;
  EXPECT_EQ(RunTheater("inspect nope", home.path()).exit_code, 2);
}

TEST(Cli, ResumeFromAnEarlierEvent) {
  TempDir home;
  auto first = RunTheater("run " + Q(testing::Fixture("counter.toml")) + " --request a --request b --request c --json",
                          home.path());
  std::string id = Events(JsonLines(first.out), "summary").at(0)["actor_id"];
  // Events: started, init (call, result), then a call and a result per request: event 4 is
  // the result of the first request (state "1").
  auto resumed = RunTheater("run --resume " + id + "@4 --request again --json", home.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_EQ(Events(JsonLines(resumed.out), "response").at(0)["response"]["text"], "2");
  auto last_good = RunTheater("run --resume " + id + " --request again --json", home.path());
  EXPECT_EQ(Events(JsonLines(last_good.out), "response").at(0)["response"]["text"], "4");
  EXPECT_EQ(RunTheater("run --resume " + id + "@999", home.path()).exit_code, 2);
}

TEST(Cli, DeliversSendsAndRequestsInTheOrderGiven) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Fixture("counter.toml")) + " --request a --send b --send c --request d --json",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto responses = Events(JsonLines(r.out), "response");
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0]["response"]["text"], "1");
  EXPECT_EQ(responses[1]["response"]["text"], "4");
}

TEST(Cli, StateOptionSetsTheInitialState) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Fixture("counter.toml")) + " --state 41 --request x --json", home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Events(JsonLines(r.out), "response").at(0)["response"]["text"], "42");
  auto bad = RunTheater("run " + Q(testing::Fixture("counter.toml")) + " --state '{oops'", home.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--state"), std::string::npos) << bad.out;
}

struct HostileCase {
  const char* fixture;
  const char* kind;
  const char* args = "";
};

class HostileCli : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileCli, FailsWithItsClassifiedCauseAndTheChainVerifies) {
  TempDir home;
  auto start = std::chrono::steady_clock::now();
  auto r = RunTheater("run " + Q(testing::Fixture(std::string(GetParam().fixture) + ".toml")) + " --json " +
                          GetParam().args,
                      home.path());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  auto lines = JsonLines(r.out);
  auto failures = Events(lines, "failure");
  ASSERT_EQ(failures.size(), 1u) << r.out;
  EXPECT_EQ(failures[0]["kind"], GetParam().kind) << r.out;
  json summary = Events(lines, "summary").at(0);
  EXPECT_FALSE(summary["ok"]);
  auto verified = RunTheater("chain verify " + summary["actor_id"].get<std::string>(), home.path());
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HostileCli,
                         ::testing::Values(HostileCase{"trap", "trap"}, HostileCase{"endless-loop", "out-of-fuel"},
                                           HostileCase{"memory-bomb", "out-of-memory"},
                                           HostileCase{"recursion", "stack-overflow"},
                                           HostileCase{"guest-error", "guest-error"},
                                           HostileCase{"bad-signature", "type-mismatch", "--send x"}),
                         [](const auto& info) {
                           std::string name = info.param.fixture;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Cli, AnImportOfTheWrongTypeIsRefusedBeforeTheActorStarts) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Fixture("bad-import.toml")), home.path());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("theater:simple/runtime#log"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("started"), std::string::npos) << r.out;
}

TEST(Cli, EndlessLoopWithoutFuelHitsTheDeadline) {
  TempDir home;
  testing::WriteText(home / "loop.toml", "name = \"loop\"\nversion = \"1\"\ncomponent = \"" +
                                             testing::Fixture("endless-loop.wat").string() +
                                             "\"\n[limits]\nfuel_per_call = 0\ncall_timeout_ms = 300\n");
  auto r = RunTheater("run " + Q(home / "loop.toml"), home.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("deadline-exceeded"), std::string::npos) << r.out;
}

TEST(Cli, BadManifestIsAUsageErrorNamingTheFile) {
  TempDir home;
  testing::WriteText(home / "bad.toml", "name = \"x\"\nversion = \"1\"\ncomponent = \"missing.wasm\"\n");
  auto r = RunTheater("run " + Q(home / "bad.toml"), home.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("bad.toml:3: field `component`: file not found"), std::string::npos) << r.out;
  auto missing = RunTheater("run " + Q(home / "nope.toml"), home.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("nope.toml"), std::string::npos);
}

TEST(Cli, UngrantedImportIsRefused) {
  TempDir home;
  testing::WriteText(home / "m.toml", "name = \"x\"\nversion = \"1\"\ncomponent = \"" +
                                          testing::Fixture("hello.wat").string() + "\"\n");
  auto r = RunTheater("run " + Q(home / "m.toml"), home.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("grants no `runtime` handler"), std::string::npos) << r.out;
}

TEST(Cli, ChainVerifyOfAnUnknownChain) {
  TempDir home;
  auto r = RunTheater("chain verify 00000000-0000-4000-8000-000000000000", home.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no chain for actor"), std::string::npos) << r.out;
  r = RunTheater("chain verify not-a-thing", home.path());
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, ChainShowPrintsEveryEvent) {
  TempDir home;
  auto run = RunTheater("run " + Q(testing::Fixture("counter.toml")) + " --send hi --json", home.path());
  json summary = Events(JsonLines(run.out), "summary").at(0);
  auto shown = RunTheater("chain show " + summary["actor_id"].get<std::string>() + " --json", home.path());
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  auto events = JsonLines(shown.out);
  ASSERT_EQ(events.size(), summary["events"].get<size_t>());
  EXPECT_EQ(events[0]["type"], "theater/actor-started");
  EXPECT_EQ(events[4]["type"], "theater:simple/runtime/log");
  EXPECT_EQ(events[4]["data"]["args"][0], "hi");
  EXPECT_EQ(events.back()["hash"], summary["head"]);
  auto text = RunTheater("chain show " + summary["actor_id"].get<std::string>(), home.path());
  EXPECT_NE(text.out.find("wasm/result"), std::string::npos);
}

TEST(Cli, WarmStartUsesTheCompiledCache) {
  TempDir home;
  auto cold = RunTheater("run " + Q(testing::Example("kv-cpp/manifest.toml")) + " --json", home.path());
  auto warm = RunTheater("run " + Q(testing::Example("kv-cpp/manifest.toml")) + " --json", home.path());
  EXPECT_EQ(Events(JsonLines(cold.out), "started").at(0)["component_origin"], "compiled");
  EXPECT_EQ(Events(JsonLines(warm.out), "started").at(0)["component_origin"], "disk-cache");
}

TEST(Cli, HelpExplainsEachCommand) {
  TempDir home;
  auto r = RunTheater("run --help", home.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--request"), std::string::npos);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  r = RunTheater("chain verify --help", home.path());
  EXPECT_NE(r.out.find("Exit status"), std::string::npos);
  r = RunTheater("frobnicate", home.path());
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace theater
