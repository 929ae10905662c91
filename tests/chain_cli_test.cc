// The chain commands end to end through the `theater` binary: signed checkpoints, inclusion
// proofs, exports that verify and replay on "another machine" (another data directory,
// the original component gone).
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace theater {
namespace {

using nlohmann::json;
using testing::RunTheater;
using testing::TempDir;

using testing::Q;
using testing::Summary;

// A copy of the greeter example whose component can be taken away afterwards.
std::filesystem::path CopyOfGreeter(const TempDir& dir) {
  std::filesystem::copy_file(testing::Example("greeter-c/greeter.wasm"), dir / "greeter.wasm");
  testing::WriteText(dir / "greeter.toml",
                     "name = \"greeter\"\nversion = \"1.0.0\"\ncomponent = \"greeter.wasm\"\n"
                     "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
  return dir / "greeter.toml";
}

TEST(ChainCli, SignedCheckpointsProveEventsToSomeoneWithoutTheChain) {
  TempDir home, work;
  auto keygen = RunTheater("chain keygen", home.path());
  ASSERT_EQ(keygen.exit_code, 0) << keygen.out;
  std::filesystem::path pub = home / "keys/checkpoint.pub";
  ASSERT_TRUE(std::filesystem::exists(pub));
  EXPECT_EQ(RunTheater("chain keygen", home.path()).exit_code, 2) << "an existing key is not replaced silently";

  std::string requests;
  for (int i = 0; i < 30; ++i) requests += " --request v" + std::to_string(i);
  auto run = RunTheater("run " + Q(CopyOfGreeter(work)) + requests + " --json", home.path());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  json summary = Summary(run.out);
  std::string id = summary["actor_id"];
  int events = summary["events"];

  auto verified = RunTheater("chain verify " + id + " --public-key " + Q(pub), home.path());
  ASSERT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("covering its first " + std::to_string(events) + " events; all signed"),
            std::string::npos)
      << verified.out;
  // Another key: the same chain does not verify against it.
  TempDir other;
  ASSERT_EQ(RunTheater("chain keygen", other.path()).exit_code, 0);
  auto wrong_key = RunTheater("chain verify " + id + " --public-key " + Q(other / "keys/checkpoint.pub"), home.path());
  EXPECT_EQ(wrong_key.exit_code, 1) << wrong_key.out;
  EXPECT_NE(wrong_key.out.find("signed by another key"), std::string::npos) << wrong_key.out;

  // Prove event 10 and check the proof alone (no data directory at all).
  auto prove = RunTheater("chain prove " + id + " 10 --out " + Q(work / "proof.json"), home.path());
  ASSERT_EQ(prove.exit_code, 0) << prove.out;
  TempDir nowhere;
  auto check = RunTheater("chain verify-proof " + Q(work / "proof.json") + " --public-key " + Q(pub), nowhere.path());
  ASSERT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("proof OK: event 10"), std::string::npos) << check.out;

  // A forged proof: event 10's data changed (its hash with it) in the proof file.
  json proof = json::parse(ToString(ReadFile(work / "proof.json").value()));
  std::string event = proof["event"];
  event[event.size() - 1] = event.back() == '0' ? '1' : '0';
  proof["event"] = event;
  testing::WriteText(work / "forged.json", proof.dump());
  auto forged = RunTheater("chain verify-proof " + Q(work / "forged.json"), nowhere.path());
  EXPECT_EQ(forged.exit_code, 1) << forged.out;
  EXPECT_NE(forged.out.find("audit path does not lead"), std::string::npos) << forged.out;
  testing::WriteText(work / "garbage.json", "{\"format\": 3}");
  EXPECT_EQ(RunTheater("chain verify-proof " + Q(work / "garbage.json"), nowhere.path()).exit_code, 2);
  EXPECT_EQ(RunTheater("chain prove " + id + " " + std::to_string(events), home.path()).exit_code, 2);
}

TEST(ChainCli, AnExportVerifiesAndReplaysElsewhere) {
  TempDir home, work;
  auto run = RunTheater("run " + Q(CopyOfGreeter(work)) + " --request Ada --request Bob --json", home.path());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  json summary = Summary(run.out);
  std::string id = summary["actor_id"];
  std::string head = summary["head"];

  auto exported = RunTheater("chain export " + id + " --out " + Q(work / "greeter.export"), home.path());
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_NE(exported.out.find("component included"), std::string::npos) << exported.out;
  std::filesystem::remove(work / "greeter.wasm");  // "another machine": the component is not there

  TempDir elsewhere;
  auto verified = RunTheater("chain verify " + Q(work / "greeter.export"), elsewhere.path());
  ASSERT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("head " + head), std::string::npos) << verified.out;
  auto replayed = RunTheater("replay " + Q(work / "greeter.export"), elsewhere.path());
  ASSERT_EQ(replayed.exit_code, 0) << replayed.out;
  EXPECT_NE(replayed.out.find("replay identical: " + std::to_string(summary["events"].get<int>()) + " events, head " + head),
            std::string::npos)
      << replayed.out;
  auto shown = RunTheater("chain show " + Q(work / "greeter.export") + " --json", elsewhere.path());
  EXPECT_EQ(shown.exit_code, 0);

  // Without the component, replay says what is missing.
  ASSERT_EQ(RunTheater("chain export " + id + " --no-component --out " + Q(work / "bare.export"), home.path()).exit_code, 0);
  auto bare = RunTheater("replay " + Q(work / "bare.export"), elsewhere.path());
  EXPECT_EQ(bare.exit_code, 2) << bare.out;

  // A changed byte anywhere in the export's chain is found.
  Bytes bytes = ReadFile(work / "greeter.export").value();
  bytes[bytes.size() / 3] ^= 0x20;
  ASSERT_TRUE(WriteFileAtomic(work / "tampered.export", bytes).ok());
  auto tampered = RunTheater("chain verify " + Q(work / "tampered.export"), elsewhere.path());
  EXPECT_NE(tampered.exit_code, 0) << tampered.out;
  EXPECT_EQ(RunTheater("replay " + Q(work / "tampered.export"), elsewhere.path()).exit_code, 2);
}

}  // namespace
}  // namespace theater
