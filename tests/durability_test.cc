// Durability under SIGKILL: an event is durable before its effects leave the actor.
//
// `theater run` is killed (SIGKILL) while a key-value actor answers requests from outside
// and a ping-pong game keeps three more actors writing their chains. After the crash:
//   - a torn tail, if the kill cut a write short, is reported as a truncated record (never
//     as events), recovery cuts exactly that off, and then every chain verifies, in this
//     process and with `theater chain verify`;
//   - every response the run printed (acknowledged) is in the responding actor's chain:
//     the turn that produced it, with that response and the state it wrote;
//   - every message that crossed between actors names a sender event that is in the
//     sender's chain (the sender wrote it before the message left);
//   - every log line printed is in its actor's chain;
//   - the key-value actor, resumed from its chain, still has every acknowledged key.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "chain/chain_file.h"
#include "chain/snapshot_file.h"
#include "storage/chain_store.h"
#include "process_util.h"
#include "test_util.h"

namespace theater {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using testing::Example;
using testing::FileText;
using testing::RunTheater;
using testing::TempDir;
using testing::TheaterProcess;
using testing::ToStr;

// A request the kv actor answered, as `theater run` printed it.
struct Acknowledged {
  std::string request;   // "set kN vN"
  std::string response;  // "ok"
};

// What one crashed run printed before it died.
struct CrashedRun {
  std::map<std::string, std::string> actor_ids;  // name -> id
  std::vector<Acknowledged> acknowledged;
  std::map<std::string, std::vector<std::string>> logs;  // actor name -> the log lines printed
  bool killed = false;
};

// A recorded byte string (list<u8>) or string as text.
std::string Text(const ordered_json& j) {
  if (j.is_binary()) return std::string(j.get_binary().begin(), j.get_binary().end());
  return j.is_string() ? j.get<std::string>() : "";
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Runs kv, two pings and a pong; kv gets "set kN vN" requests while the pings play long
// games against pong. After `kill_after` acknowledged kv responses (and `delay`), the
// process gets SIGKILL; whatever it printed before it died is read too.
CrashedRun RunAndKill(const std::filesystem::path& data_dir, int kill_after, std::chrono::microseconds delay) {
  std::vector<std::string> args = {"--data-dir", data_dir.string(), "run",
                                   Example("kv-cpp/manifest.toml").string() + "@kv",
                                   Example("ping-pong/ping.toml").string() + "@ping1",
                                   Example("ping-pong/ping.toml").string() + "@ping2",
                                   Example("ping-pong/pong.toml").string(),
                                   // No settling between messages: the games go on while kv answers.
                                   "--wait", "0",
                                   // A game outlasts this: run stops waiting for it and moves on,
                                   // the game goes on. Late kv answers are simply not acknowledged.
                                   "--timeout", "40", "--json"};
  // Spare requests, so that answers given up on (under load) still leave enough to reach
  // the kill point.
  for (int n = 1; n <= kill_after + 200; ++n) {
    if (n % 10 == 1) {
      std::string ping = n % 20 == 1 ? "ping1" : "ping2";
      args.insert(args.end(), {"--to", ping, "--request", "play {{pong}} 1000", "--to", "kv"});
    }
    args.insert(args.end(), {"--request", "set k" + std::to_string(n) + " v" + std::to_string(n)});
  }

  CrashedRun run;
  TheaterProcess theater(args, data_dir / "run.stderr");
  EXPECT_TRUE(theater.started());
  auto take = [&](const std::string& line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return;
    std::string event = j.value("event", "");
    if (event == "started") run.actor_ids[j["actor"]] = j["actor_id"];
    if (event == "log") run.logs[j["actor"]].push_back(j["text"]);
    if (event == "response" && j["actor"] == "kv" && j.contains("response"))
      run.acknowledged.push_back({j["request"], j["response"].value("text", "")});
  };
  while (!run.killed) {
    auto line = theater.ReadLine(std::chrono::seconds(30));
    if (!line) break;  // the run ended (or hung) before the kill point
    take(*line);
    if (static_cast<int>(run.acknowledged.size()) == kill_after) {
      std::this_thread::sleep_for(delay);
      theater.Kill();
      run.killed = true;
    }
  }
  // Lines it printed before it died were acknowledged too.
  while (auto line = theater.ReadLine(std::chrono::seconds(5))) take(*line);
  return run;
}

// The events of every chain file in `chains`, recovered after the crash: a torn tail is
// cut off, and everything must then verify.
std::map<std::string, std::vector<ChainEvent>> RecoverAndVerifyChains(const std::filesystem::path& chains,
                                                                      const std::filesystem::path& data_dir,
                                                                      int& torn_tails) {
  std::map<std::string, std::vector<ChainEvent>> by_actor;
  for (const auto& entry : std::filesystem::directory_iterator(chains)) {
    const std::filesystem::path& path = entry.path();
    if (path.extension() != ".chain") continue;
    SCOPED_TRACE(path.string());

    VerifyReport before = VerifyChainFile(path);
    if (!before.ok) {
      // Only the end of the file can be cut short, and the cut record is no event.
      ++torn_tails;
      EXPECT_TRUE(StartsWith(before.reason, "truncated record")) << before.reason;
      EXPECT_EQ(before.bad_seq, before.events);
    }
    RecoveryReport recovered = RecoverChainFile(path);
    EXPECT_TRUE(recovered.verify.ok) << recovered.verify.reason;
    // Every state its events name was on disk before them.
    EXPECT_EQ(recovered.snapshots_problem, "");
    EXPECT_EQ(recovered.verify.events, before.events) << "recovery may drop only the torn record";
    EXPECT_EQ(recovered.dropped_bytes > 0, !before.ok);

    std::vector<ChainEvent> events;
    VerifyReport after = VerifyChainFile(path, &events);
    EXPECT_TRUE(after.ok) << after.reason;
    EXPECT_GT(events.size(), 0u);

    // The CLI verifies on its own, from the file.
    auto cli = RunTheater("chain verify '" + path.string() + "'", data_dir);
    EXPECT_EQ(cli.exit_code, 0) << cli.out;
    EXPECT_NE(cli.out.find("OK: " + std::to_string(events.size()) + " events"), std::string::npos) << cli.out;

    by_actor[path.stem().string()] = std::move(events);
  }
  return by_actor;
}

// A handle-request turn as its chain records it.
struct RecordedTurn {
  std::string response;
  std::string state;
};

// request text -> the turn that answered it, from the wasm/call and wasm/result events
// (the state each names read from `snapshots`).
std::map<std::string, RecordedTurn> RequestTurns(const std::vector<ChainEvent>& events, const SnapshotSource& snapshots) {
  const std::string handle_request = "theater:simple/message-server-client#handle-request";
  std::map<std::string, RecordedTurn> turns;
  std::optional<std::string> pending;  // turns are sequential: a call's result comes before the next call
  for (const ChainEvent& e : events) {
    if (e.type != "wasm/call" && e.type != "wasm/result" && e.type != "wasm/error") continue;
    ordered_json data = ordered_json::from_cbor(e.data);
    bool is_request = data.value("function", "") == handle_request;
    if (e.type == "wasm/call") {
      pending = is_request ? std::optional(Text(data["params"][1])) : std::nullopt;
    } else if (e.type == "wasm/result" && is_request && pending) {
      const ordered_json& answer = data["results"][0];
      auto ref = StateRefFromJson(data["state"]);
      EXPECT_TRUE(ref.ok() && *ref) << "event " << e.seq;
      auto state = ref.ok() && *ref ? snapshots.Read(**ref) : Result<Bytes>(Status::Error("no state"));
      EXPECT_TRUE(state.ok()) << state.error();
      turns[*pending] = {answer.is_object() && answer.contains("some") ? Text(answer["some"]) : "",
                         state.ok() ? ToString(*state) : ""};
      pending.reset();
    } else {
      pending.reset();
    }
  }
  return turns;
}

// Every acknowledged response is in kv's chain: the turn that gave it, and the state it wrote.
void ExpectAcknowledgedInChain(const std::vector<Acknowledged>& acknowledged, const std::vector<ChainEvent>& kv_events,
                               const SnapshotSource& kv_snapshots) {
  auto turns = RequestTurns(kv_events, kv_snapshots);
  std::vector<std::string> missing;
  for (const Acknowledged& ack : acknowledged) {
    EXPECT_EQ(ack.response, "ok") << ack.request;
    auto turn = turns.find(ack.request);
    if (turn == turns.end()) {
      missing.push_back(ack.request);
      continue;
    }
    EXPECT_EQ(turn->second.response, ack.response) << ack.request;
    std::string key = ack.request.substr(4, ack.request.find(' ', 4) - 4);  // "set kN vN" -> "kN"
    std::string entry = key + "=v" + key.substr(1) + "\n";
    EXPECT_NE(turn->second.state.find(entry), std::string::npos) << ack.request << " left state " << turn->second.state;
  }
  if (!missing.empty())
    ADD_FAILURE() << missing.size() << " of " << acknowledged.size()
                  << " acknowledged requests are not in the chain, the first: " << missing.front();
}

// The games were still going when the kill landed: a ping's chain ends inside its turn.
bool EndsInsideARequestTurn(const std::vector<ChainEvent>& events) {
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    if (e->type == "wasm/result" || e->type == "wasm/error") return false;
    if (e->type == "wasm/call") return true;
  }
  return false;
}

// Every cause (section 5.1 of docs/chain-format.md) names an event in the sender's chain:
// a message left its sender only after the event that sent it was written.
int ExpectCausesResolve(const std::map<std::string, std::vector<ChainEvent>>& chains) {
  std::map<std::string, std::set<std::string>> hashes;
  for (const auto& [actor, events] : chains)
    for (const ChainEvent& e : events) hashes[actor].insert(ToHex(e.hash));
  int causes = 0;
  for (const auto& [actor, events] : chains) {
    for (const ChainEvent& e : events) {
      ordered_json data = ordered_json::from_cbor(e.data);
      if (!data.is_object() || !data.contains("cause")) continue;
      ++causes;
      std::string sender = data["cause"]["actor"], event = data["cause"]["event"];
      EXPECT_TRUE(hashes[sender].contains(event))
          << actor << " event " << e.seq << " (" << e.type << ") names " << sender << " event " << event
          << ", which is not in " << sender << "'s chain";
    }
  }
  return causes;
}

// A log line leaves the actor like any effect: every line printed is in its actor's chain,
// in the order printed.
void ExpectLogLinesInChain(const std::vector<std::string>& printed, const std::vector<ChainEvent>& events) {
  std::vector<std::string> recorded;
  for (const ChainEvent& e : events)
    if (e.type == "theater:simple/runtime/log") recorded.push_back(Text(ordered_json::from_cbor(e.data)["args"][0]));
  ASSERT_LE(printed.size(), recorded.size()) << "printed log lines are missing from the chain";
  for (size_t i = 0; i < printed.size(); ++i) ASSERT_EQ(printed[i], recorded[i]) << "log line " << i;
}

// kv resumes from its recovered chain with every acknowledged key.
void ExpectResumedKvHasAcknowledged(const std::filesystem::path& data_dir, const std::string& kv_id,
                                    const std::vector<Acknowledged>& acknowledged) {
  const std::string last = acknowledged.back().request;  // "set kN vN"
  std::string last_key = last.substr(4, last.find(' ', 4) - 4);
  auto r = RunTheater("run --resume " + kv_id + " --request keys --request 'get " + last_key + "' --json", data_dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> responses;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("event", "") == "response") responses.push_back(j["response"].value("text", ""));
  }
  ASSERT_EQ(responses.size(), 2u) << r.out;
  std::set<std::string> keys;
  std::istringstream list(responses[0]);
  for (std::string key; std::getline(list, key, ',');) keys.insert(key);
  for (const Acknowledged& ack : acknowledged) {
    std::string key = ack.request.substr(4, ack.request.find(' ', 4) - 4);
    EXPECT_TRUE(keys.contains(key)) << "resumed kv lost " << key;
  }
  EXPECT_EQ(responses[1], "v" + last_key.substr(1));
}

TEST(Durability, SigkillLosesNoAcknowledgedEventAndEveryChainVerifies) {
  TempDir home;  // shared across iterations: components are compiled once
  std::random_device seed_source;
  unsigned seed = seed_source();
  std::mt19937 random(seed);
  SCOPED_TRACE("random seed " + std::to_string(seed));

  // Kill points early, midway and late in the run.
  const std::vector<std::pair<int, int>> kill_ranges = {{20, 60}, {60, 130}, {130, 200}};
  int torn_tails = 0;
  for (auto [low, high] : kill_ranges) {
    int kill_after = std::uniform_int_distribution<int>(low, high)(random);
    std::chrono::microseconds delay(std::uniform_int_distribution<int>(0, 500)(random));
    SCOPED_TRACE("killed after " + std::to_string(kill_after) + " responses + " + std::to_string(delay.count()) + " us");
    std::filesystem::remove_all(home / "chains");

    CrashedRun run = RunAndKill(home.path(), kill_after, delay);
    ASSERT_TRUE(run.killed) << "the run ended before " << kill_after << " responses; its stderr:\n"
                            << FileText(home / "run.stderr");
    ASSERT_GE(static_cast<int>(run.acknowledged.size()), kill_after);
    ASSERT_EQ(run.actor_ids.size(), 4u);

    auto chains = RecoverAndVerifyChains(home / "chains", home.path(), torn_tails);
    ASSERT_EQ(chains.size(), 4u);  // every actor had written its chain
    const std::string& kv_id = run.actor_ids.at("kv");
    ASSERT_TRUE(chains.contains(kv_id));
    auto kv_snapshots = SnapshotFile::Open(home / "chains" / (kv_id + ".snapshots"));
    ASSERT_TRUE(kv_snapshots.ok()) << kv_snapshots.error();
    ExpectAcknowledgedInChain(run.acknowledged, chains.at(kv_id), **kv_snapshots);
    EXPECT_GT(ExpectCausesResolve(chains), 0) << "the games left no messages between actors";
    EXPECT_TRUE(EndsInsideARequestTurn(chains.at(run.actor_ids.at("ping1"))) ||
                EndsInsideARequestTurn(chains.at(run.actor_ids.at("ping2"))))
        << "no game was in flight when the kill landed";
    for (const auto& [name, lines] : run.logs) {
      SCOPED_TRACE("log lines of " + name);
      ExpectLogLinesInChain(lines, chains.at(run.actor_ids.at(name)));
    }
    ExpectResumedKvHasAcknowledged(home.path(), kv_id, run.acknowledged);
  }
  RecordProperty("torn_tails", torn_tails);
}

// An actor whose init logs 64 lines in one turn (enough to fill a group commit, see
// ActorContext::ReleaseEffectsIfMany), then spins until it is killed.
constexpr char kChattyComponent[] = R"((component
  (import "theater:simple/runtime" (instance $runtime (export "log" (func (param "msg" string)))))
  (alias export $runtime "log" (func $log))
  (core module $Memory (memory (export "memory") 1))
  (core instance $memory (instantiate $Memory))
  (alias core export $memory "memory" (core memory $mem))
  (core func $log_lowered (canon lower (func $log) (memory $mem)))
  (core module $Main
    (import "env" "memory" (memory 1))
    (import "runtime" "log" (func $log (param i32 i32)))
    (global $heap (mut i32) (i32.const 4096))
    (data (i32.const 16) "line")
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $heap))
      (global.set $heap (i32.add (global.get $heap) (i32.add (local.get 3) (i32.const 8))))
      (local.get $p))
    (func (export "init") (param i32 i32 i32 i32 i32) (result i32)
      (local $i i32)
      (loop $lines
        (call $log (i32.const 16) (i32.const 4))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $lines (i32.lt_u (local.get $i) (i32.const 64))))
      (loop $forever (br $forever))
      (i32.const 0)))
  (core instance $main (instantiate $Main
    (with "env" (instance (export "memory" (memory $mem))))
    (with "runtime" (instance (export "log" (func $log_lowered))))))
  (func $init
    (param "state" (option (list u8))) (param "params" (tuple string))
    (result (result (tuple (option (list u8))) (error string)))
    (canon lift (core func $main "init") (memory $mem) (realloc (core func $main "realloc"))))
  (instance $actor (export "init" (func $init)))
  (export "theater:simple/actor" (instance $actor))))";

// The log line that fills a group commit (the 64th effect of a turn) was once printed
// before its own event was recorded (the group was let go from Defer, inside the host
// call), so a kill right after it was printed lost it.
TEST(Durability, LogLineThatFillsAGroupCommitIsInTheChainWhenPrinted) {
  TempDir home;
  testing::WriteText(home / "chatty.wat", kChattyComponent);
  testing::WriteText(home / "chatty.toml",
                     "name = \"chatty\"\nversion = \"0.1.0\"\ncomponent = \"chatty.wat\"\n[[handler]]\ntype = \"runtime\"\n");
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::filesystem::remove_all(home / "chains");
    TheaterProcess theater({"--data-dir", home.path().string(), "run", (home / "chatty.toml").string(), "--json"},
                           home / "run.stderr");
    ASSERT_TRUE(theater.started());
    int printed = 0;
    while (printed < 64) {
      auto line = theater.ReadLine(std::chrono::seconds(30));
      ASSERT_TRUE(line) << FileText(home / "run.stderr");
      if (json::parse(*line, nullptr, false).value("event", "") == "log") ++printed;
    }
    theater.Kill();

    int recorded = 0;
    for (const auto& entry : std::filesystem::directory_iterator(home / "chains")) {
      if (entry.path().extension() != ".chain") continue;
      std::vector<ChainEvent> events;
      RecoverChainFile(entry.path());
      ASSERT_TRUE(VerifyChainFile(entry.path(), &events).ok);
      for (const ChainEvent& e : events) recorded += e.type == "theater:simple/runtime/log";
    }
    EXPECT_EQ(recorded, 64) << "attempt " << attempt;
  }
}

}  // namespace
}  // namespace theater
