#include <gtest/gtest.h>

#include "chain/chain.h"
#include "chain/chain_file.h"
#include "common/files.h"
#include "test_util.h"

namespace theater {
namespace {

using testing::TempDir;

// Builds a chain of `n` events and writes it to `path`.
Chain MakeChain(const std::filesystem::path& path, int n) {
  auto writer = ChainFileWriter::Create(path);
  EXPECT_TRUE(writer.ok());
  Chain chain;
  ChainFileWriter* w = writer->get();
  chain.set_sink([w](const ChainEvent& e, std::span<const uint8_t> encoding) { return w->Append(e, encoding); });
  for (int i = 0; i < n; ++i)
    EXPECT_TRUE(chain.Append("test/event", ToBytes("payload " + std::to_string(i)), 1000 + i).ok());
  return chain;
}

Bytes Read(const std::filesystem::path& p) { return ReadFile(p).value(); }

TEST(ChainEvent, CanonicalEncodingIsAsDocumented) {
  ChainEvent e;
  e.seq = 1;
  e.parent = Hash{};
  e.parent->fill(0xab);
  e.timestamp_ms = 0x0102;
  e.type = "t";
  e.data = {0xff};
  Bytes expected = {0, 0, 0, 0, 0, 0, 0, 1, 1};
  expected.insert(expected.end(), 32, 0xab);
  Bytes tail = {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 't', 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(CanonicalEncoding(e), expected);
  EXPECT_EQ(ComputeEventHash(e), Sha256(expected));
}

TEST(ChainEvent, HashCoversEveryField) {
  ChainEvent base;
  base.seq = 3;
  base.parent = Sha256("parent");
  base.timestamp_ms = 42;
  base.type = "wasm/call";
  base.data = ToBytes("data");
  Hash h = ComputeEventHash(base);
  ChainEvent e = base;
  e.seq = 4;
  EXPECT_NE(ComputeEventHash(e), h);
  e = base;
  e.parent = Sha256("other");
  EXPECT_NE(ComputeEventHash(e), h);
  e = base;
  e.parent.reset();
  EXPECT_NE(ComputeEventHash(e), h);
  e = base;
  e.timestamp_ms = 43;
  EXPECT_NE(ComputeEventHash(e), h);
  e = base;
  e.type = "wasm/calm";
  EXPECT_NE(ComputeEventHash(e), h);
  e = base;
  e.data = ToBytes("dat4");
  EXPECT_NE(ComputeEventHash(e), h);
}

TEST(Chain, LinksEventsToTheirParents) {
  Chain chain;
  ASSERT_TRUE(chain.Append("a", {}, 1).ok());
  ASSERT_TRUE(chain.Append("b", {}, 2).ok());
  const auto& ev = chain.events();
  EXPECT_FALSE(ev[0].parent.has_value());
  EXPECT_EQ(ev[1].parent, ev[0].hash);
  EXPECT_EQ(ev[1].seq, 1u);
  EXPECT_EQ(chain.head(), ev[1].hash);
}

TEST(ChainFile, VerifiesWhatWasWritten) {
  TempDir dir;
  Chain chain = MakeChain(dir / "c.chain", 5);
  std::vector<ChainEvent> read;
  VerifyReport r = VerifyChainFile(dir / "c.chain", &read);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.events, 5u);
  EXPECT_EQ(r.head, chain.head());
  EXPECT_EQ(read, chain.events());
}

TEST(ChainFile, EmptyChainVerifies) {
  TempDir dir;
  MakeChain(dir / "c.chain", 0);
  VerifyReport r = VerifyChainFile(dir / "c.chain");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.events, 0u);
}

// Changing any single byte of a chain file must be detected.
TEST(ChainFile, EveryFlippedByteIsDetected) {
  TempDir dir;
  MakeChain(dir / "c.chain", 3);
  Bytes original = Read(dir / "c.chain");
  for (size_t i = 0; i < original.size(); ++i) {
    Bytes tampered = original;
    tampered[i] ^= 0x01;
    VerifyReport r = VerifyChainBytes(tampered);
    EXPECT_FALSE(r.ok) << "flipping byte " << i << " went unnoticed";
  }
}

TEST(ChainFile, ReportsHashMismatchAtTheChangedEvent) {
  TempDir dir;
  MakeChain(dir / "c.chain", 3);
  Bytes b = Read(dir / "c.chain");
  b[b.size() - 33] ^= 0x20;  // last byte of event 2's data
  VerifyReport r = VerifyChainBytes(b);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2u);
  EXPECT_NE(r.reason.find("hash mismatch"), std::string::npos) << r.reason;
  EXPECT_EQ(r.events, 2u);
}

// Splits a chain file image into its records (after the 8-byte magic).
std::vector<Bytes> Records(const Bytes& file) {
  std::vector<Bytes> out;
  size_t pos = 8;
  while (pos < file.size()) {
    size_t len = (size_t(file[pos]) << 24) | (size_t(file[pos + 1]) << 16) | (size_t(file[pos + 2]) << 8) | file[pos + 3];
    out.emplace_back(file.begin() + pos, file.begin() + pos + 4 + len);
    pos += 4 + len;
  }
  return out;
}

Bytes Join(const std::vector<Bytes>& records) {
  Bytes out(kChainFileMagic, kChainFileMagic + 8);
  for (const Bytes& r : records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

TEST(ChainFile, DroppedEventIsAGap) {
  TempDir dir;
  MakeChain(dir / "c.chain", 4);
  auto records = Records(Read(dir / "c.chain"));
  records.erase(records.begin() + 1);
  VerifyReport r = VerifyChainBytes(Join(records));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 1u);
  EXPECT_NE(r.reason.find("gap in sequence"), std::string::npos) << r.reason;
}

TEST(ChainFile, ReorderedEventsAreDetected) {
  TempDir dir;
  MakeChain(dir / "c.chain", 4);
  auto records = Records(Read(dir / "c.chain"));
  std::swap(records[1], records[2]);
  VerifyReport r = VerifyChainBytes(Join(records));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 1u);
}

TEST(ChainFile, DroppedFirstEventIsDetected) {
  TempDir dir;
  MakeChain(dir / "c.chain", 3);
  auto records = Records(Read(dir / "c.chain"));
  records.erase(records.begin());
  VerifyReport r = VerifyChainBytes(Join(records));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 0u);
}

TEST(ChainFile, TruncationIsDetected) {
  TempDir dir;
  MakeChain(dir / "c.chain", 3);
  Bytes b = Read(dir / "c.chain");
  for (size_t cut : {b.size() - 1, b.size() - 40, size_t{10}}) {
    Bytes truncated(b.begin(), b.begin() + cut);
    VerifyReport r = VerifyChainBytes(truncated);
    ASSERT_FALSE(r.ok) << "cut at " << cut;
    EXPECT_NE(r.reason.find("truncated"), std::string::npos) << r.reason;
  }
}

TEST(ChainFile, ForgedEventWithRecomputedHashBreaksTheNextLink) {
  // An attacker who rewrites an event and recomputes its hash still breaks the link
  // from the following event.
  TempDir dir;
  Chain chain = MakeChain(dir / "c.chain", 3);
  ChainEvent forged = chain.events()[1];
  forged.data = ToBytes("forged");
  forged.hash = ComputeEventHash(forged);
  auto records = Records(Read(dir / "c.chain"));
  Bytes rec = CanonicalEncoding(forged);
  uint32_t len = rec.size() + 32;
  Bytes full = {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)};
  full.insert(full.end(), rec.begin(), rec.end());
  full.insert(full.end(), forged.hash.begin(), forged.hash.end());
  records[1] = full;
  VerifyReport r = VerifyChainBytes(Join(records));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2u);
  EXPECT_NE(r.reason.find("broken parent link"), std::string::npos) << r.reason;
}

TEST(ChainFile, NotAChainFile) {
  VerifyReport r = VerifyChainBytes(ToBytes("hello world"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("not a chain file"), std::string::npos);
}

}  // namespace
}  // namespace theater
