// Merkle trees (against the RFC 6962 reference values), checkpoints, inclusion proofs,
// Ed25519 signatures and exports.
#include <gtest/gtest.h>

#include "chain/chain.h"
#include "chain/chain_file.h"
#include "chain/chain_image.h"
#include "chain/inclusion_proof.h"
#include "chain/merkle.h"
#include "common/ed25519.h"
#include "test_util.h"

namespace theater {
namespace {

Hash H(const std::string& hex) {
  auto b = FromHex(hex);
  Hash h{};
  std::copy(b->begin(), b->end(), h.begin());
  return h;
}

// The Certificate Transparency test tree (RFC 6962 reference implementation): its leaves
// and the roots of its first 1..8 leaves.
std::vector<Hash> CtLeafHashes() {
  std::vector<Hash> out;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"})
    out.push_back(MerkleLeafHash(*FromHex(hex)));
  return out;
}
const char* kCtRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

TEST(Merkle, RootsMatchTheRfc6962ReferenceTree) {
  std::vector<Hash> leaves = CtLeafHashes();
  EXPECT_EQ(ToHex(MerkleRoot({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  MerkleFrontier frontier;
  for (size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(ToHex(MerkleRoot(std::span(leaves).first(n))), kCtRoots[n - 1]) << n;
    frontier.Add(leaves[n - 1]);
    EXPECT_EQ(ToHex(frontier.Root()), kCtRoots[n - 1]) << n;
  }
}

TEST(Merkle, AuditPathsMatchTheRfc6962ReferenceTree) {
  std::vector<Hash> leaves = CtLeafHashes();
  std::vector<Hash> path0 = {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                             H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                             H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")};
  std::vector<Hash> path5 = {H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                             H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                             H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  EXPECT_EQ(MerkleInclusionProof(leaves, 0), path0);
  EXPECT_EQ(MerkleInclusionProof(leaves, 5), path5);
  EXPECT_TRUE(VerifyMerkleInclusion(0, 8, leaves[0], path0, H(kCtRoots[7])));
  EXPECT_TRUE(VerifyMerkleInclusion(5, 8, leaves[5], path5, H(kCtRoots[7])));
}

// Every leaf of every tree size up to 70 (all the ragged shapes) proves, and no proof
// survives a changed sibling, a wrong index, leaf or root, or a path cut short or made
// longer. (The tree size alone may change without changing the path's shape: it is bound
// by the root and the checkpoint's signature instead.)
TEST(Merkle, EveryProofVerifiesAndNoAlteredOneDoes) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 70; ++i) leaves.push_back(MerkleLeafHash(Sha256("leaf " + std::to_string(i))));
  for (size_t n = 1; n <= leaves.size(); ++n) {
    auto tree = std::span(leaves).first(n);
    Hash root = MerkleRoot(tree);
    for (size_t i = 0; i < n; ++i) {
      std::vector<Hash> path = MerkleInclusionProof(tree, i);
      ASSERT_TRUE(VerifyMerkleInclusion(i, n, tree[i], path, root)) << i << " of " << n;
      if (n > 1) {
        EXPECT_FALSE(VerifyMerkleInclusion(i, n, tree[(i + 1) % n], path, root)) << i << " of " << n;
        EXPECT_FALSE(VerifyMerkleInclusion((i + 1) % n, n, tree[i], path, root)) << i << " of " << n;
      }
      EXPECT_FALSE(VerifyMerkleInclusion(i, n, tree[i], path, Sha256("another root")));
      if (!path.empty()) {
        std::vector<Hash> forged = path;
        forged[forged.size() / 2][0] ^= 1;
        EXPECT_FALSE(VerifyMerkleInclusion(i, n, tree[i], forged, root));
        forged = path;
        forged.pop_back();
        EXPECT_FALSE(VerifyMerkleInclusion(i, n, tree[i], forged, root));
      }
      std::vector<Hash> longer = path;
      longer.push_back(root);
      EXPECT_FALSE(VerifyMerkleInclusion(i, n, tree[i], longer, root));
    }
  }
}

TEST(Ed25519, SignsAndVerifiesAndSurvivesAFile) {
  testing::TempDir dir;
  auto key = Ed25519Key::Generate();
  ASSERT_TRUE(key.ok());
  Bytes message = ToBytes("checkpoint");
  Ed25519Signature sig = (*key)->Sign(message);
  EXPECT_TRUE(VerifyEd25519((*key)->public_key(), message, sig));
  EXPECT_FALSE(VerifyEd25519((*key)->public_key(), ToBytes("checkpoinT"), sig));
  sig[10] ^= 1;
  EXPECT_FALSE(VerifyEd25519((*key)->public_key(), message, sig));

  ASSERT_TRUE((*key)->Save(dir / "k.key", dir / "k.pub").ok());
  EXPECT_EQ(std::filesystem::status(dir / "k.key").permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  auto loaded = Ed25519Key::Load(dir / "k.key");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ((*loaded)->public_key(), (*key)->public_key());
  EXPECT_EQ(ReadEd25519PublicKey((dir / "k.pub").string()).value(), (*key)->public_key());
  EXPECT_EQ(ReadEd25519PublicKey(ToHex((*key)->public_key())).value(), (*key)->public_key());
  EXPECT_FALSE(ReadEd25519PublicKey("abcd").ok());
  EXPECT_FALSE((*key)->Save(dir / "k.key", dir / "k.pub").ok()) << "an existing private key is never overwritten";
}

// An event's record in a chain file.
void AppendRecord(Bytes& file, const ChainEvent& e) {
  Bytes enc = CanonicalEncoding(e);
  uint32_t len = static_cast<uint32_t>(enc.size() + 32);
  for (int s = 24; s >= 0; s -= 8) file.push_back(static_cast<uint8_t>(len >> s));
  file.insert(file.end(), enc.begin(), enc.end());
  file.insert(file.end(), e.hash.begin(), e.hash.end());
}

// A chain of `n` events: the events, their hashes, and the chain file.
struct TestChain {
  std::vector<ChainEvent> events;
  std::vector<Hash> hashes;
  Bytes file;
};
TestChain MakeTestChain(int n, const std::string& payload = "payload ") {
  TestChain c;
  Chain chain;
  c.file = Bytes(kChainFileMagic, kChainFileMagic + 8);
  for (int i = 0; i < n; ++i) {
    const ChainEvent& e = **chain.Append("test/event", ToBytes(payload + std::to_string(i)), 1000 + i);
    c.events.push_back(e);
    c.hashes.push_back(e.hash);
    AppendRecord(c.file, e);
  }
  return c;
}

Checkpoint CheckpointAt(const TestChain& c, uint64_t size, const Ed25519Key* key, const std::string& actor = "a") {
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < size; ++i) leaves.push_back(MerkleLeafHash(c.hashes[i]));
  Checkpoint cp;
  cp.tree_size = size;
  cp.root = MerkleRoot(leaves);
  cp.timestamp_ms = 5000 + size;
  if (key) SignCheckpoint(actor, *key, cp);
  return cp;
}

Bytes CheckpointFileOf(const std::string& actor, const std::vector<Checkpoint>& cps) {
  Bytes out = EncodeCheckpointFileHeader(actor);
  for (const Checkpoint& cp : cps) {
    Bytes rec = EncodeCheckpointRecord(cp);
    out.insert(out.end(), rec.begin(), rec.end());
  }
  return out;
}

TEST(Checkpoints, FileRoundTripsAndMatchesTheChain) {
  auto key = Ed25519Key::Generate().value();
  TestChain c = MakeTestChain(40);
  std::vector<Checkpoint> cps = {CheckpointAt(c, 16, key.get()), CheckpointAt(c, 32, key.get()),
                                 CheckpointAt(c, 40, nullptr)};
  auto file = ParseCheckpointFile(CheckpointFileOf("a", cps));
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(file->actor_id, "a");
  EXPECT_EQ(file->checkpoints, cps);
  CheckpointReport r = VerifyCheckpoints(*file, c.hashes);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.checked, 3u);
  EXPECT_EQ(r.covered, 40u);
  EXPECT_EQ(r.signed_count, 2u);
  // Requiring the key fails on the unsigned one.
  r = VerifyCheckpoints(*file, c.hashes, key->public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("checkpoint 2: not signed"), std::string::npos) << r.reason;
}

TEST(Checkpoints, DetectWhatTheChainAloneCannot) {
  auto key = Ed25519Key::Generate().value();
  TestChain c = MakeTestChain(40);
  CheckpointFile file{"a", {CheckpointAt(c, 16, key.get()), CheckpointAt(c, 40, key.get())}, 0, ""};

  // Events cut off the end leave a chain that verifies on its own, but not its checkpoints.
  CheckpointReport r = VerifyCheckpoints(file, std::span(c.hashes).first(39));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("covers 40 events, the chain has only 39"), std::string::npos) << r.reason;

  // A whole chain rewritten (every hash recomputed): the roots no longer match.
  TestChain other = MakeTestChain(41);
  other.hashes.erase(other.hashes.begin());
  r = VerifyCheckpoints(file, other.hashes);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("is not the Merkle root of the first 16 events"), std::string::npos) << r.reason;

  // A checkpoint re-made without the key: its signature fails, or it is unsigned.
  CheckpointFile forged = file;
  forged.checkpoints[1].timestamp_ms += 1;
  r = VerifyCheckpoints(forged, c.hashes);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("checkpoint 1: signature is not valid"), std::string::npos) << r.reason;
  auto stranger = Ed25519Key::Generate().value();
  forged = file;
  SignCheckpoint("a", *stranger, forged.checkpoints[1]);
  EXPECT_TRUE(VerifyCheckpoints(forged, c.hashes).ok);  // valid, by someone
  r = VerifyCheckpoints(forged, c.hashes, key->public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("signed by another key"), std::string::npos) << r.reason;

  // A signature is bound to the actor: the same checkpoint under another id fails.
  forged = file;
  forged.actor_id = "b";
  EXPECT_FALSE(VerifyCheckpoints(forged, c.hashes).ok);

  // Sizes must grow.
  forged = file;
  std::swap(forged.checkpoints[0], forged.checkpoints[1]);
  r = VerifyCheckpoints(forged, c.hashes);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("does not follow"), std::string::npos) << r.reason;
}

TEST(Checkpoints, ATornLastRecordIsReportedNotTrusted) {
  TestChain c = MakeTestChain(20);
  Bytes bytes = CheckpointFileOf("a", {CheckpointAt(c, 10, nullptr), CheckpointAt(c, 20, nullptr)});
  const size_t record = 4 + 49;  // length prefix and an unsigned checkpoint
  for (size_t cut = 1; cut < record; ++cut) {
    Bytes torn(bytes.begin(), bytes.end() - cut);
    auto file = ParseCheckpointFile(torn);
    ASSERT_TRUE(file.ok()) << cut;
    EXPECT_EQ(file->checkpoints.size(), 1u) << cut;
    EXPECT_NE(file->torn.find("checkpoint 1"), std::string::npos) << cut;
    EXPECT_EQ(file->valid_bytes, bytes.size() - record);
  }
  Bytes bad = bytes;
  bad[8 + 4 + 1 + 3] = 7;  // the first record's length
  EXPECT_FALSE(ParseCheckpointFile(bad).ok());
}

TEST(InclusionProof, ProvesEveryEventAndSurvivesJson) {
  auto key = Ed25519Key::Generate().value();
  TestChain c = MakeTestChain(37);
  std::vector<Checkpoint> cps = {CheckpointAt(c, 32, key.get(), "actor-1")};
  for (uint64_t seq = 0; seq < 37; ++seq) {
    auto proof = ProveInclusion("actor-1", c.events, cps, seq);
    ASSERT_TRUE(proof.ok()) << proof.error();
    // Covered by the checkpoint: against its signed root; after it: the whole chain's.
    EXPECT_EQ(proof->tree_size, seq < 32 ? 32u : 37u);
    EXPECT_EQ(proof->checkpoint.has_value(), seq < 32);
    auto back = InclusionProofFromJson(nlohmann::json::parse(InclusionProofToJson(*proof).dump()));
    ASSERT_TRUE(back.ok()) << back.error();
    ProofCheck check = CheckInclusionProof(*back, std::nullopt, std::nullopt);
    ASSERT_TRUE(check.ok) << check.reason;
    EXPECT_EQ(check.event, c.events[seq]);
    EXPECT_EQ(check.root_signed, seq < 32);
    EXPECT_EQ(CheckInclusionProof(*back, key->public_key(), std::nullopt).ok, seq < 32);
  }
  EXPECT_FALSE(ProveInclusion("actor-1", c.events, cps, 37).ok());
  EXPECT_FALSE(ProveInclusion("actor-1", c.events, cps, 5, 5).ok());
  EXPECT_TRUE(ProveInclusion("actor-1", c.events, cps, 5, 6).ok());
}

TEST(InclusionProof, AForgedProofFails) {
  auto key = Ed25519Key::Generate().value();
  TestChain c = MakeTestChain(20);
  std::vector<Checkpoint> cps = {CheckpointAt(c, 20, key.get(), "actor-1")};
  InclusionProof good = ProveInclusion("actor-1", c.events, cps, 7).value();
  ASSERT_TRUE(CheckInclusionProof(good, key->public_key(), std::nullopt).ok);

  auto expect_fails = [&](InclusionProof p, const std::string& why) {
    SCOPED_TRACE(why);
    ProofCheck check = CheckInclusionProof(p, key->public_key(), std::nullopt);
    EXPECT_FALSE(check.ok);
    EXPECT_NE(check.reason.find(why), std::string::npos) << check.reason;
  };
  InclusionProof p = good;
  p.event.back() ^= 1;  // the event's data changed
  expect_fails(p, "audit path does not lead");
  p = good;
  p.path[1][3] ^= 1;
  expect_fails(p, "audit path does not lead");
  p = good;
  p.seq = 8;
  expect_fails(p, "the event is number 7");

  // A made-up chain gives a consistent event, path and root, but the signature covers the
  // real root; a signature of the forger's own key is not the trusted key's.
  InclusionProof fake = ProveInclusion("actor-1", MakeTestChain(20, "forged ").events, {}, 7).value();
  ASSERT_TRUE(CheckInclusionProof(fake, std::nullopt, std::nullopt).ok) << "consistent in itself";
  expect_fails(fake, "the root is not signed");
  fake.checkpoint = good.checkpoint;
  expect_fails(fake, "the checkpoint is for another tree");
  fake.checkpoint->root = fake.root;  // as a proof read from JSON has it
  expect_fails(fake, "signature is not valid");
  auto stranger = Ed25519Key::Generate().value();
  SignCheckpoint("actor-1", *stranger, *fake.checkpoint);
  expect_fails(fake, "signed by another key");
  // Without a key, a root the checker trusts does the same job.
  EXPECT_FALSE(CheckInclusionProof(fake, std::nullopt, good.root).ok);
  EXPECT_TRUE(CheckInclusionProof(good, std::nullopt, good.root).ok);
  // The signature binds the actor too.
  p = good;
  p.actor_id = "actor-2";
  expect_fails(p, "signature is not valid");
}

TEST(Export, RoundTripsAndIsCheckedAgainstItsChain) {
  // Event 0 of a real chain is theater/actor-started with the actor id and component hash.
  Chain chain;
  Bytes component = ToBytes("pretend component bytes");
  nlohmann::json started = {{"actor_id", "actor-1"}, {"component_sha256", ToHex(Sha256(component))}};
  Bytes file(kChainFileMagic, kChainFileMagic + 8);
  for (int i = 0; i < 3; ++i) {
    Bytes data = i == 0 ? nlohmann::json::to_cbor(started) : ToBytes("x");
    AppendRecord(file, **chain.Append(i == 0 ? "theater/actor-started" : "test/event", data, 1));
  }
  ChainImage image;
  image.actor_id = "actor-1";
  image.component_sha256 = ToHex(Sha256(component));
  image.chain = file;
  image.component = component;
  Bytes exported = EncodeExport(image);
  auto back = DecodeExport(exported);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->exported);
  EXPECT_EQ(back->chain, file);
  EXPECT_EQ(back->component, component);
  ChainVerification v = VerifyChainImage(*back);
  EXPECT_TRUE(v.ok()) << (v.problems.empty() ? v.chain.reason : v.problems[0]);
  EXPECT_EQ(v.chain.events, 3u);

  ChainImage wrong = *back;
  wrong.component->push_back(0);
  v = VerifyChainImage(wrong);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.problems.at(0).find("the component in the export has SHA-256"), std::string::npos);
  wrong = *back;
  wrong.actor_id = "actor-2";
  EXPECT_FALSE(VerifyChainImage(wrong).ok());

  // Cut short anywhere in its last section, an export is refused.
  for (size_t cut = 1; cut < component.size() + 9; ++cut) {
    Bytes torn(exported.begin(), exported.end() - static_cast<long>(cut));
    auto r = DecodeExport(torn);
    EXPECT_FALSE(r.ok()) << cut;
  }
  Bytes unknown = exported;
  unknown[8] = 'Z';
  EXPECT_NE(DecodeExport(unknown).error().find("unknown section"), std::string::npos);
}

}  // namespace
}  // namespace theater
