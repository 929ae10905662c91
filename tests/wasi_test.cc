// WASI 0.2 for actors, with real Python and JavaScript components (tests/guests/py_probe.py
// built by componentize-py, tests/guests/js_probe.js by componentize-js): their clock,
// random bytes, environment and output are host inputs recorded in the chain; replay
// answers them from the recording and is identical; what is not granted (a file outside
// any preopen, a variable not allowed) is not there.
#include <cstdlib>

#include <gtest/gtest.h>

#include "chain/event_data.h"
#include "runtime/actor_context.h"
#include "runtime/wasi_recording.h"
#include "test_util.h"

namespace theater::testing {
namespace {

using nlohmann::json;

// The probes' world is service-actor: they need Theater's store, timing and random too.
constexpr char kServices[] = "[[handler]]\ntype = \"store\"\n[[handler]]\ntype = \"timing\"\n[[handler]]\ntype = \"random\"\n";

// A language's probe actor, and what its runtime lets it try.
struct Probe {
  const char* language;   // as the test's name says it
  const char* component;  // empty when its toolchain was not installed
  const char* boss;       // a supervisor of C workers (py_boss.py, js_boss.js)
  const char* tool;
  bool has_env_and_files;  // StarlingMonkey (JavaScript) has neither API
};

std::ostream& operator<<(std::ostream& out, const Probe& p) { return out << p.language; }

class WasiTest : public ::testing::TestWithParam<Probe> {
 protected:
  void SetUp() override {
    if (component().empty()) GTEST_SKIP() << GetParam().tool << " was not installed (scripts/setup.sh)";
    // The compiled components are shared by these tests (seconds each to compile): the data
    // directory's cache is a link to one directory (each file is written by rename).
    std::filesystem::path shared = std::filesystem::path(THEATER_GUESTS) / ".." / "wasi-test-cache";
    std::filesystem::create_directories(shared);
    std::filesystem::create_directories(dir_.path() / "data" / "cache");
    std::filesystem::create_directory_symlink(std::filesystem::absolute(shared), dir_.path() / "data/cache/components");
    WriteText(dir_.path() / "probe.toml",
              "name = \"probe\"\nversion = \"0.1.0\"\ncomponent = \"" + component() +
                  "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                  "[[handler]]\ntype = \"wasi\"\nallowed_vars = [\"THEATER_TEST_VISIBLE\"]\n" + kServices);
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

  // A supervision tree's run: one restart among its actors, and every chain, the restarted
  // one's too, replays identically.
  void ExpectOneRestartAndIdenticalReplays(const std::string& out) {
    uint64_t restarts = 0;
    for (const json& s : Lines(out, "summary")) restarts += s.value("restarts", 0);
    EXPECT_EQ(restarts, 1u) << out;
    for (const json& s : Lines(out, "summary")) {
      auto replayed = RunTheater("replay " + s.value("actor_id", ""), dir_.path() / "data");
      EXPECT_NE(replayed.out.find("replay identical"), std::string::npos) << s.value("actor", "") << ": " << replayed.out;
    }
  }

  std::string component() const { return GetParam().component; }
  std::string language() const { return GetParam().language; }

  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Languages, WasiTest,
                         ::testing::Values(Probe{"python", THEATER_PY_PROBE, THEATER_PY_BOSS, "componentize-py", true},
                                           Probe{"js", THEATER_JS_PROBE, THEATER_JS_BOSS, "componentize-js", false}),
                         [](const auto& info) { return std::string(info.param.language); });

TEST_P(WasiTest, InputsAreRecordedAndReplayedIdentically) {
  bool env_and_files = GetParam().has_env_and_files;
  auto run = Run("--request time --request print --request random --request services" +
                 std::string(env_and_files ? " --request env --request file" : ""));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto responses = Lines(run.out, "response");
  ASSERT_EQ(responses.size(), env_and_files ? 6u : 4u) << run.out;
  auto text = [&](size_t i) { return responses[i]["response"].value("text", ""); };

  // The clock is the real one.
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_NEAR(std::stod(text(0)), now, 60) << text(0);
  // stdout and stderr are the actor's log.
  EXPECT_EQ(text(1), "printed");
  std::string logs;
  for (const json& l : Lines(run.out, "log")) logs += l.value("text", "") + "\n";
  EXPECT_NE(logs.find("to stdout from " + language()), std::string::npos) << logs;
  EXPECT_NE(logs.find("to stderr from " + language()), std::string::npos) << logs;
  EXPECT_EQ(text(2).size(), 32u) << text(2);
  // The SDK reaches Theater's own store, clock and random numbers.
  json services = json::parse(text(3), nullptr, false);
  ASSERT_TRUE(services.is_object()) << text(3);
  EXPECT_EQ(services.value("stored", ""), "hi from the store") << text(3);
  EXPECT_NEAR(services.value("now", 0.0) / 1000, now, 60) << text(3);
  EXPECT_EQ(services.value("uuid", "").size(), 36u) << text(3);
  EXPECT_GE(services.value("range", 0), 10) << text(3);
  EXPECT_LT(services.value("range", 0), 20) << text(3);
  if (env_and_files) {
    // Only the allowed variable is in the environment.
    json env = json::parse(text(4));
    EXPECT_EQ(env.value("THEATER_TEST_VISIBLE", ""), "shown") << text(4);
    EXPECT_FALSE(env.contains("THEATER_TEST_HIDDEN")) << text(4);
    EXPECT_FALSE(env.contains("HOME")) << text(4);
    // Nothing is preopened: no file of the host can be read.
    EXPECT_EQ(text(5).rfind("refused: ", 0), 0u) << text(5);
  }

  // Each input is an event of the chain.
  std::string id = Summary(run.out).value("actor_id", "");
  auto shown = RunTheater("chain show " + id + " --json", dir_.path() / "data");
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  for (const char* type : {"wasi:cli/environment", "wasi:clocks/wall-clock/now", "wasi:random/random/get-random-bytes",
                           "wasi:cli/stdout/write", "wasi:cli/stderr/write", "theater:simple/timing/now",
                           "theater:simple/random/generate-uuid", "theater:simple/store/replace-content-at-label"})
    EXPECT_NE(shown.out.find(type), std::string::npos) << type;

  // Replay answers them from the recording: the same chain, hash for hash.
  auto replayed = RunTheater("replay " + id, dir_.path() / "data");
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out;
  EXPECT_NE(replayed.out.find("replay identical"), std::string::npos) << replayed.out;
  auto verified = RunTheater("chain verify " + id, dir_.path() / "data");
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
}

// Python or JavaScript workers under the C supervisor of examples/supervision: a worker
// that raises fails (guest-error, with the exception's text), is restarted, and answers
// again; the supervisor's requests and the workers' answers cross between the languages.
TEST_P(WasiTest, AWorkerThatRaisesIsRestartedByItsCSupervisor) {
  std::string supervisor = FileText(Example("supervision/supervisor.toml"));
  size_t at = supervisor.find("component = \"supervisor.wasm\"");
  ASSERT_NE(at, std::string::npos);
  supervisor.replace(at, std::string("component = \"supervisor.wasm\"").size(),
                     "component = \"" + Example("supervision/supervisor.wasm").string() + "\"");
  // A child gets only handlers its parent has: the supervisor is granted WASI to hand on.
  WriteText(dir_.path() / "supervisor.toml", supervisor + "\n[[handler]]\ntype = \"wasi\"\n" + kServices);
  // A child's component must be where its parent may reach: beside the manifests.
  std::filesystem::copy_file(component(), dir_.path() / "probe.wasm");
  WriteText(dir_.path() / "worker.toml",
            std::string("name = \"worker\"\nversion = \"0.1.0\"\ncomponent = \"probe.wasm\"\n[[handler]]\ntype = "
                        "\"runtime\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"wasi\"\n") +
                kServices);
  // Compiled once first (seconds for 12 to 18 MB), so that the workers start at once from the
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
  ExpectOneRestartAndIdenticalReplays(run.out);
}

// The other way round: a Python or JavaScript supervisor (the SDK's spawn and
// handle-child-error) of examples/supervision's C worker, which crashes on multiples of 3.
// The boss passes requests on, hears of the crash, and the runtime restarts the worker.
TEST_P(WasiTest, ASupervisorInTheLanguageRestartsItsCWorker) {
  std::filesystem::copy_file(Example("supervision/worker.wasm"), dir_.path() / "worker.wasm");
  std::filesystem::copy_file(Example("supervision/worker.toml"), dir_.path() / "worker.toml");
  WriteText(dir_.path() / "boss.toml",
            "name = \"boss\"\nversion = \"0.1.0\"\ncomponent = \"" + std::string(GetParam().boss) +
                "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                "[[handler]]\ntype = \"wasi\"\n[[handler]]\ntype = \"supervisor\"\nstrategy = \"one-for-one\"\n");
  auto run = RunShell("THEATER_HOME=" + Q(dir_.path() / "data") + " '" + std::string(THEATER_BINARY) + "' run " +
                      Q(dir_.path() / "boss.toml") +
                      " --timeout 60000 --request 'job 2' --request 'job 3' --request 'job 4' --json 2>&1");
  auto responses = Lines(run.out, "response");
  ASSERT_EQ(responses.size(), 3u) << run.out;
  auto text = [&](size_t i) { return responses[i].contains("response") ? responses[i]["response"].value("text", "") : ""; };
  EXPECT_EQ(text(0), "worker says: 2 squared is 4") << run.out;
  EXPECT_EQ(text(1).rfind("worker failed: ", 0), 0u) << run.out;
  EXPECT_EQ(text(2), "worker says: 4 squared is 16") << run.out;
  std::string logs;
  for (const json& l : Lines(run.out, "log")) logs += l.value("text", "") + "\n";
  EXPECT_NE(logs.find("boss started worker "), std::string::npos) << logs;
  EXPECT_NE(logs.find("failures: 1"), std::string::npos) << logs;
  ExpectOneRestartAndIdenticalReplays(run.out);
}

TEST_P(WasiTest, WithoutTheGrantTheActorDoesNotStart) {
  WriteText(dir_.path() / "probe.toml", "name = \"probe\"\nversion = \"0.1.0\"\ncomponent = \"" + component() +
                                            "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n" + kServices);
  auto run = Run("--request time");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("type = \\\"wasi\\\""), std::string::npos) << run.out;
}

// Clock readings in a row are one event ({"results": [...]}): JavaScript's engine reads the
// monotonic clock about 7 times per call. Another event, or the 512th reading, ends a run;
// nothing is lost and the order of inputs is kept.
TEST(ClockReadings, ARunOfReadingsIsOneEventBeforeTheNextOfAnotherKind) {
  Manifest manifest;
  manifest.name = "clock";
  ActorContext context(nullptr, "clock", manifest, Permissions::FromManifest(manifest), nullptr);
  context.RecordReading(kWasiMonotonicClock, 1);
  context.RecordReading(kWasiMonotonicClock, 2);
  context.RecordReading(kWasiMonotonicClock, 3);
  EXPECT_EQ(context.chain().size(), 0u);  // held back until something else is recorded
  context.RecordReading(kWasiWallClock, 100);  // another clock ends the run
  ASSERT_TRUE(context.Record("wasm/result", {{"x", 1}}).ok());
  for (int i = 0; i < 1000; ++i) context.RecordReading(kWasiMonotonicClock, 10 + i);
  ASSERT_TRUE(context.Record("wasm/result", {{"x", 2}}).ok());

  const auto& events = context.chain().events();
  std::vector<std::string> types;
  for (const ChainEvent& e : events) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{kWasiMonotonicClock, kWasiWallClock, "wasm/result", kWasiMonotonicClock,
                                             kWasiMonotonicClock, "wasm/result"}));
  auto results = [&](size_t i) { return DecodeEventData(events[i].data)["results"]; };
  EXPECT_EQ(results(0), json::array({1, 2, 3}));
  EXPECT_EQ(results(1), json::array({100}));
  ASSERT_EQ(results(3).size(), ActorContext::kMaxBatchedReadings);
  ASSERT_EQ(results(4).size(), 1000 - ActorContext::kMaxBatchedReadings);
  EXPECT_EQ(results(3)[0], 10);
  EXPECT_EQ(results(4).back(), 1009);
}

}  // namespace
}  // namespace theater::testing
