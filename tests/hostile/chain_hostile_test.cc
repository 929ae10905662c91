// Chain trust under attack (issue 12, items 16-19): what someone who can rewrite chain
// files, or hand out made-up proofs and exports, gets past `theater chain`. Each test drives
// the real `theater` binary on chains recorded by real actors, then tampers with copies.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "../test_util.h"
#include "chain/chain.h"
#include "chain/chain_file.h"
#include "chain/chain_image.h"
#include "chain/checkpoint.h"
#include "chain/merkle.h"
#include "common/ed25519.h"
#include "storage/chain_store.h"

namespace theater {
namespace {

using nlohmann::json;
using testing::RunTheater;
using testing::TempDir;

using testing::Q;
using testing::Summary;

// Runs the greeter example with `requests` requests in `home`; its actor id.
std::string RunGreeter(const TempDir& home, int requests) {
  TempDir work;
  std::filesystem::copy_file(testing::Example("greeter-c/greeter.wasm"), work / "greeter.wasm");
  testing::WriteText(work / "greeter.toml",
                     "name = \"greeter\"\nversion = \"1.0.0\"\ncomponent = \"greeter.wasm\"\n"
                     "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n");
  std::string args;
  for (int i = 0; i < requests; ++i) args += " --request v" + std::to_string(i);
  auto run = RunTheater("run " + Q(work / "greeter.toml") + args + " --json", home.path());
  EXPECT_EQ(run.exit_code, 0) << run.out;
  return Summary(run.out).value("actor_id", "");
}

void AppendRecord(Bytes& file, const ChainEvent& e) {
  Bytes enc = CanonicalEncoding(e);
  uint32_t len = static_cast<uint32_t>(enc.size() + 32);
  for (int s = 24; s >= 0; s -= 8) file.push_back(static_cast<uint8_t>(len >> s));
  file.insert(file.end(), enc.begin(), enc.end());
  file.insert(file.end(), e.hash.begin(), e.hash.end());
}

Bytes ChainFileOf(std::span<const ChainEvent> events) {
  Bytes file(kChainFileMagic, kChainFileMagic + 8);
  for (const ChainEvent& e : events) AppendRecord(file, e);
  return file;
}

std::vector<ChainEvent> ReadEvents(const std::filesystem::path& chain) {
  std::vector<ChainEvent> events;
  VerifyReport r = VerifyChainFile(chain, &events);
  EXPECT_TRUE(r.ok) << r.reason;
  return events;
}

// Keeps the checkpoint records of `path` whose tree size is at most `max_size`: an
// attacker's cut, at a record boundary, so the file still parses.
void CutCheckpoints(const std::filesystem::path& path, uint64_t max_size) {
  CheckpointFile file = ParseCheckpointFile(ReadFile(path).value()).value();
  Bytes out = EncodeCheckpointFileHeader(file.actor_id);
  for (const Checkpoint& c : file.checkpoints)
    if (c.tree_size <= max_size) {
      Bytes record = EncodeCheckpointRecord(c);
      out.insert(out.end(), record.begin(), record.end());
    }
  ASSERT_TRUE(WriteFileAtomic(path, out).ok());
}

// One data directory with a signing key and two actors: a greeter with more than 1024
// events (so a checkpoint at 1024 and one at its stop) and a small one.
class HostileChain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    home_ = new TempDir;
    auto keygen = RunTheater("chain keygen", home_->path());
    ASSERT_EQ(keygen.exit_code, 0) << keygen.out;
    big_ = RunGreeter(*home_, 540);  // two events per request
    small_ = RunGreeter(*home_, 2);
    ASSERT_FALSE(big_.empty());
    ASSERT_FALSE(small_.empty());
    big_events_ = ReadEvents(Chain(*home_, big_)).size();
    ASSERT_GT(big_events_, 1030u);
  }
  static void TearDownTestSuite() {
    delete home_;
    home_ = nullptr;
  }

  static std::filesystem::path Chain(const TempDir& home, const std::string& id) {
    return home / ("chains/" + id + ".chain");
  }
  static std::filesystem::path Checkpoints(const TempDir& home, const std::string& id) {
    return home / ("chains/" + id + ".checkpoints");
  }
  static std::filesystem::path PublicKey() { return *home_ / "keys/checkpoint.pub"; }
  // A copy of the data directory to tamper with.
  static void CopyHome(const TempDir& to) {
    std::filesystem::copy(home_->path(), to.path(), std::filesystem::copy_options::recursive |
                                                        std::filesystem::copy_options::overwrite_existing);
  }

  static inline TempDir* home_ = nullptr;
  static inline std::string big_, small_;
  static inline uint64_t big_events_ = 0;
};

// Item 16: the checkpoint file cut back to its record at 1024 and every event after it
// rewritten (hashes recomputed). Each remaining checkpoint is genuine and signed, so
// before, `verify --public-key` said OK; now the events no signature covers fail it.
TEST_F(HostileChain, ARewrittenTailFailsVerificationWithTheKey) {
  TempDir home;
  CopyHome(home);
  std::vector<ChainEvent> events = ReadEvents(Chain(home, big_));
  theater::Chain forged;
  ASSERT_TRUE(forged.Restore({events.begin(), events.begin() + 1024}).ok());
  for (size_t i = 1024; i < events.size(); ++i)
    ASSERT_TRUE(forged.Append("theater:simple/runtime/log", json::to_cbor(json{{"args", {"all is well"}}}),
                              events[i].timestamp_ms)
                    .ok());
  ASSERT_TRUE(WriteFileAtomic(Chain(home, big_), ChainFileOf(forged.events())).ok());
  CutCheckpoints(Checkpoints(home, big_), 1024);
  uint64_t tail = events.size() - 1024;

  auto genuine = RunTheater("chain verify " + big_ + " --public-key " + Q(PublicKey()), home_->path());
  EXPECT_EQ(genuine.exit_code, 0) << genuine.out;

  auto verified = RunTheater("chain verify " + big_ + " --public-key " + Q(PublicKey()), home.path());
  EXPECT_EQ(verified.exit_code, 1) << verified.out;
  EXPECT_NE(verified.out.find(std::to_string(tail) + " events (1024 to " + std::to_string(events.size() - 1) +
                              ") are covered by no signature"),
            std::string::npos)
      << verified.out;

  // Told to accept a tail (a chain still being written), it passes and still says so.
  auto allowed =
      RunTheater("chain verify " + big_ + " --public-key " + Q(PublicKey()) + " --allow-unsigned-tail", home.path());
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out;
  EXPECT_NE(allowed.out.find("covered by no signature"), std::string::npos) << allowed.out;
  auto as_json = RunTheater("chain verify " + big_ + " --public-key " + Q(PublicKey()) + " --json", home.path());
  json j = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << as_json.out;
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["unsigned_events"], tail);
}

// Item 16: a chain cut back to an earlier signed head (chain and checkpoint file both cut
// at 1024) is a genuine earlier state: no signature can tell. A head published earlier
// (`theater chain head`) can: `verify --expect-head` fails on it.
TEST_F(HostileChain, AChainCutBackToAnEarlierSignedHeadFailsAgainstThePublishedHead) {
  TempDir home, work;
  CopyHome(home);
  auto head = RunTheater("chain head " + big_ + " --out " + Q(work / "head.json"), home.path());
  ASSERT_EQ(head.exit_code, 0) << head.out;
  json statement = json::parse(testing::FileText(work / "head.json"), nullptr, false);
  ASSERT_TRUE(statement.is_object()) << testing::FileText(work / "head.json");
  EXPECT_EQ(statement["actor_id"], big_);
  EXPECT_EQ(statement["tree_size"], big_events_);
  EXPECT_TRUE(statement["signature"].is_string());
  EXPECT_EQ(statement["public_key"], ToHex(ReadEd25519PublicKey(PublicKey().string()).value()));

  std::string verify = "chain verify " + big_ + " --public-key " + Q(PublicKey()) + " --expect-head ";
  auto genuine = RunTheater(verify + Q(work / "head.json"), home.path());
  EXPECT_EQ(genuine.exit_code, 0) << genuine.out;
  EXPECT_NE(genuine.out.find("matches the published head"), std::string::npos) << genuine.out;

  std::vector<ChainEvent> events = ReadEvents(Chain(home, big_));
  ASSERT_TRUE(WriteFileAtomic(Chain(home, big_), ChainFileOf(std::span(events).first(1024))).ok());
  CutCheckpoints(Checkpoints(home, big_), 1024);
  auto cut = RunTheater("chain verify " + big_ + " --public-key " + Q(PublicKey()), home.path());
  EXPECT_EQ(cut.exit_code, 0) << "an earlier signed head, whole: only a published head tells\n" << cut.out;
  auto against_head = RunTheater(verify + Q(work / "head.json"), home.path());
  EXPECT_EQ(against_head.exit_code, 1) << against_head.out;
  EXPECT_NE(against_head.out.find("the published head covers " + std::to_string(big_events_) +
                                  " events, the chain has only 1024"),
            std::string::npos)
      << against_head.out;

  // A statement changed by hand no longer carries a valid signature.
  statement["tree_size"] = 1024;
  testing::WriteText(work / "edited.json", statement.dump());
  auto edited = RunTheater(verify + Q(work / "edited.json"), home.path());
  EXPECT_EQ(edited.exit_code, 1) << edited.out;
  EXPECT_NE(edited.out.find("signature is not valid"), std::string::npos) << edited.out;
}

// Item 16: while an actor runs, its events reach a signed checkpoint within seconds even
// when it goes quiet (before, only every 1024 events and at its stop).
TEST_F(HostileChain, ARunningActorsChainIsSignedWithinSeconds) {
  TempDir dir;
  ChainStore::Options options;  // the defaults, with a key
  options.signing_key = Ed25519Key::Generate().value();
  ChainStore store(dir.path(), options);
  auto sink = store.Open("actor-1");
  theater::Chain chain;
  chain.set_sink([&](const ChainEvent& e, std::span<const uint8_t> encoding) {
    sink->Append(e, encoding);
    return Status::Ok();
  });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(chain.Append("test/event", ToBytes("x"), 1000 + i).ok());
  ASSERT_TRUE(store.Flush(*sink).ok());
  // Nothing more is written; the actor has not stopped.
  auto covered = [&] {
    auto data = ReadFile(CheckpointPathFor(dir / "actor-1.chain"));
    if (!data.ok()) return uint64_t{0};
    auto file = ParseCheckpointFile(*data);
    return file.ok() && !file->checkpoints.empty() && file->checkpoints.back().signer
               ? file->checkpoints.back().tree_size
               : uint64_t{0};
  };
  EXPECT_TRUE(testing::WaitUntil([&] { return covered() == 3; }, std::chrono::seconds(15)))
      << "covered: " << covered();
  store.Release(*sink);
}

// Item 17: a made-up proof (consistent in itself, for an event that never happened) was
// "proof OK" with exit 0 when neither a key nor a root was given.
TEST_F(HostileChain, AProofWithoutATrustedKeyOrRootIsNotTrusted) {
  TempDir work;
  ChainEvent fake;
  fake.type = "theater/actor-started";
  fake.data = json::to_cbor(json{{"actor_id", big_}, {"name", "greeter"}});
  fake.timestamp_ms = 1;
  fake.hash = ComputeEventHash(fake);
  json proof = {{"format", "theater-inclusion-proof/1"},
                {"actor_id", big_},
                {"seq", 0},
                {"event", ToHex(CanonicalEncoding(fake))},
                {"event_hash", ToHex(fake.hash)},
                {"tree_size", 1},
                {"root", ToHex(MerkleLeafHash(fake.hash))},
                {"path", json::array()},
                {"checkpoint", nullptr}};
  testing::WriteText(work / "forged.json", proof.dump());
  auto plain = RunTheater("chain verify-proof " + Q(work / "forged.json"), work.path());
  EXPECT_EQ(plain.exit_code, 1) << plain.out;
  EXPECT_EQ(plain.out.find("proof OK"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("not trusted"), std::string::npos) << plain.out;
  auto as_json = RunTheater("chain verify-proof " + Q(work / "forged.json") + " --json", work.path());
  EXPECT_EQ(as_json.exit_code, 1) << as_json.out;
  json j = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << as_json.out;
  EXPECT_EQ(j["trusted"], false);
  EXPECT_EQ(j["ok"], false);

  // Signed by the forger's own key: valid, and still not trusted without --public-key.
  auto forger = Ed25519Key::Generate().value();
  Checkpoint cp;
  cp.tree_size = 1;
  cp.root = MerkleLeafHash(fake.hash);
  cp.timestamp_ms = 2;
  SignCheckpoint(big_, *forger, cp);
  proof["checkpoint"] = {{"timestamp_ms", 2}, {"public_key", ToHex(*cp.signer)}, {"signature", ToHex(cp.signature)}};
  testing::WriteText(work / "signed.json", proof.dump());
  auto signed_by_forger = RunTheater("chain verify-proof " + Q(work / "signed.json"), work.path());
  EXPECT_EQ(signed_by_forger.exit_code, 1) << signed_by_forger.out;
  EXPECT_NE(signed_by_forger.out.find("not trusted"), std::string::npos) << signed_by_forger.out;
  auto other_key = RunTheater("chain verify-proof " + Q(work / "signed.json") + " --public-key " + Q(PublicKey()),
                              work.path());
  EXPECT_EQ(other_key.exit_code, 1) << other_key.out;

  // A real proof against the real key, or a root the checker has: trusted.
  ASSERT_EQ(RunTheater("chain prove " + big_ + " 5 --out " + Q(work / "real.json"), home_->path()).exit_code, 0);
  auto real = RunTheater("chain verify-proof " + Q(work / "real.json") + " --public-key " + Q(PublicKey()), work.path());
  EXPECT_EQ(real.exit_code, 0) << real.out;
  EXPECT_NE(real.out.find("proof OK"), std::string::npos) << real.out;
  json real_proof = json::parse(testing::FileText(work / "real.json"));
  auto by_root = RunTheater("chain verify-proof " + Q(work / "real.json") + " --root " +
                                real_proof["root"].get<std::string>() + " --json",
                            work.path());
  EXPECT_EQ(by_root.exit_code, 0) << by_root.out;
  EXPECT_EQ(json::parse(by_root.out, nullptr, false).value("trusted", false), true) << by_root.out;
}

// Item 18: another actor's chain (and its checkpoints, so everything verifies) stored
// under an actor's id was accepted as that actor's.
TEST_F(HostileChain, VerifyByActorIdRefusesAnotherActorsChain) {
  TempDir home, work;
  CopyHome(home);
  std::filesystem::copy_file(Chain(home, small_), Chain(home, big_), std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(Checkpoints(home, small_), Checkpoints(home, big_),
                             std::filesystem::copy_options::overwrite_existing);
  auto verified = RunTheater("chain verify " + big_, home.path());
  EXPECT_EQ(verified.exit_code, 1) << verified.out;
  EXPECT_NE(verified.out.find("the chain is actor " + small_ + "'s, not " + big_ + "'s"), std::string::npos)
      << verified.out;
  auto exported = RunTheater("chain export " + big_ + " --out " + Q(work / "x.export"), home.path());
  EXPECT_EQ(exported.exit_code, 2) << exported.out;
  EXPECT_EQ(RunTheater("chain verify " + small_, home.path()).exit_code, 0);
  // By path, nobody asked for an id: a chain copied under another name (with the snapshot
  // file beside it, whose states it names) still verifies.
  std::filesystem::copy_file(Chain(home, small_), work / "copy.chain");
  std::error_code none;  // (an actor that never had a state has no snapshot file)
  std::filesystem::copy_file(SnapshotPathFor(Chain(home, small_)), work / "copy.snapshots", none);
  EXPECT_EQ(RunTheater("chain verify " + Q(work / "copy.chain"), home.path()).exit_code, 0);
}

// Item 19: `prove --size N` where no checkpoint has size N said "no checkpoint covers
// event 0 yet; the root is the whole chain's": both wrong.
TEST_F(HostileChain, ProveSaysWhichTreeItsRootIsFor) {
  TempDir work;
  auto sized = RunTheater("chain prove " + big_ + " 0 --size 1030 --out " + Q(work / "p.json"), home_->path());
  ASSERT_EQ(sized.exit_code, 0) << sized.out;
  EXPECT_EQ(sized.out.find("whole chain"), std::string::npos) << sized.out;
  EXPECT_EQ(sized.out.find("no checkpoint covers"), std::string::npos) << sized.out;
  EXPECT_NE(sized.out.find("no checkpoint has tree size 1030"), std::string::npos) << sized.out;
  EXPECT_NE(sized.out.find("the root is of the first 1030 events, unsigned"), std::string::npos) << sized.out;
  EXPECT_EQ(json::parse(testing::FileText(work / "p.json"))["tree_size"], 1030);

  auto at_checkpoint = RunTheater("chain prove " + big_ + " 0 --size 1024 --out " + Q(work / "q.json"), home_->path());
  ASSERT_EQ(at_checkpoint.exit_code, 0) << at_checkpoint.out;
  EXPECT_EQ(at_checkpoint.out.find("note:"), std::string::npos) << at_checkpoint.out;
  EXPECT_TRUE(json::parse(testing::FileText(work / "q.json"))["checkpoint"]["signature"].is_string());
}

// Item 19 (docs/chain-format.md, section 4): the smallest canonical encoding is 29 bytes,
// so a record shorter than 61 is "too small", not a malformed encoding.
TEST_F(HostileChain, ARecordShorterThanTheSmallestEncodingIsTooSmall) {
  TempDir work;
  for (uint32_t len : {41u, 60u}) {
    Bytes file(kChainFileMagic, kChainFileMagic + 8);
    for (int s = 24; s >= 0; s -= 8) file.push_back(static_cast<uint8_t>(len >> s));
    file.resize(file.size() + len, 0);
    ASSERT_TRUE(WriteFileAtomic(work / "small.chain", file).ok());
    auto r = RunTheater("chain verify " + Q(work / "small.chain"), work.path());
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("record length " + std::to_string(len) + " is too small"), std::string::npos) << r.out;
  }
  // 61 bytes is a whole event: seq 0, no parent, empty type and data.
  ChainEvent smallest;
  smallest.hash = ComputeEventHash(smallest);
  ASSERT_TRUE(WriteFileAtomic(work / "smallest.chain", ChainFileOf(std::span(&smallest, 1))).ok());
  EXPECT_EQ(ReadFile(work / "smallest.chain")->size(), 8u + 4 + 61);
  EXPECT_EQ(RunTheater("chain verify " + Q(work / "smallest.chain"), work.path()).exit_code, 0);
}

// Event data is CBOR that the chain does not vouch for: a tampered or made-up chain may
// declare an array of 2^64 items or nest 200,000 levels deep. Decoding it aborted
// (nlohmann throws on the size even with exceptions off) or overflowed the stack; now it
// is undecodable data, reported, and nothing crashes.
TEST_F(HostileChain, HostileEventDataIsAnErrorNotACrash) {
  TempDir home;
  const std::string id = "0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10";
  Bytes huge = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
  Bytes deep(200000, 0x81);
  deep.push_back(0x00);
  for (const Bytes& data : {huge, deep}) {
    SCOPED_TRACE(data.size());
    theater::Chain chain;
    ASSERT_TRUE(chain.Append("theater/actor-started", data, 1).ok());
    ASSERT_TRUE(chain.Append("wasm/call", data, 2).ok());
    std::filesystem::create_directories(home / "chains");
    ASSERT_TRUE(WriteFileAtomic(home / ("chains/" + id + ".chain"), ChainFileOf(chain.events())).ok());
    for (const std::string& command : {"chain show " + id, "chain show " + id + " --json", "chain verify " + id,
                                       "chain export " + id + " --out " + Q(home / "x.export"),
                                       "chain prove " + id + " 1", "chain head " + id, "inspect " + id,
                                       "replay " + id, "run --resume " + id}) {
      auto r = RunTheater(command, home.path());
      EXPECT_TRUE(r.exit_code >= 0 && r.exit_code <= 2) << command << ": exit " << r.exit_code << "\n" << r.out;
    }
    auto shown = RunTheater("chain show " + id + " --json", home.path());
    EXPECT_NE(shown.out.find("undecodable_hex"), std::string::npos) << shown.out.substr(0, 2000);
  }
}

// Found by fuzz/chain_file_fuzz: an actor id that is not UTF-8 (in a checkpoint file's
// header, or an export's 'A' section, matching event 0) went into the JSON of a proof or
// head statement, whose writer throws on it: `chain prove` aborted. Such files are now
// refused when read, and the JSON writers replace what they cannot write.
TEST_F(HostileChain, AnActorIdThatIsNotUtf8IsAnErrorNotACrash) {
  TempDir work;
  const std::string id = "\xff\xfe";
  theater::Chain chain;
  ASSERT_TRUE(chain.Append("theater/actor-started",
                           Bytes{0xa2, 0x68, 'a', 'c', 't', 'o', 'r', '_', 'i', 'd', 0x62, 0xff, 0xfe, 0x70, 'c', 'o', 'm', 'p',
                                 'o', 'n', 'e', 'n', 't', '_', 's', 'h', 'a', '2', '5', '6', 0x61, '0'},
                           1)
                  .ok());
  ASSERT_TRUE(WriteFileAtomic(work / "x.chain", ChainFileOf(chain.events())).ok());
  Checkpoint c;
  c.tree_size = 1;
  c.root = MerkleLeafHash(chain.events()[0].hash);
  Bytes checkpoints = EncodeCheckpointFileHeader(id);
  Bytes record = EncodeCheckpointRecord(c);
  checkpoints.insert(checkpoints.end(), record.begin(), record.end());
  ASSERT_TRUE(WriteFileAtomic(work / "x.checkpoints", checkpoints).ok());
  ChainImage image;
  image.actor_id = id;
  image.component_sha256 = "0";
  image.chain = ChainFileOf(chain.events());
  ASSERT_TRUE(WriteFileAtomic(work / "x.export", EncodeExport(image)).ok());
  for (const std::string& command : {"chain prove " + Q(work / "x.chain") + " 0", "chain head " + Q(work / "x.chain"),
                                     "chain verify " + Q(work / "x.chain") + " --json",
                                     "chain prove " + Q(work / "x.export") + " 0", "chain verify " + Q(work / "x.export")}) {
    auto r = RunTheater(command, work.path());
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << command << ": exit " << r.exit_code << "\n" << r.out;
    EXPECT_NE(r.out.find("not valid UTF-8"), std::string::npos) << command << "\n" << r.out;
  }
}

}  // namespace
}  // namespace theater
