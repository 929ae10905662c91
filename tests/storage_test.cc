// The chain store: per-actor chain files written in groups, checkpoints beside them, and
// recovery of a tail torn by a crash.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "chain/chain.h"
#include "chain/chain_image.h"
#include "storage/chain_store.h"
#include "test_util.h"

namespace theater {
namespace {

using testing::TempDir;

// Records `n` events into `chain`, which writes them to `sink`.
void Record(Chain& chain, ChainStore::Sink& sink, int n) {
  chain.set_sink([&sink](const ChainEvent& e, std::span<const uint8_t> encoding) {
    sink.Append(e, encoding);
    return Status::Ok();
  });
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(chain.Append("test/event", ToBytes("event " + std::to_string(chain.size())), 1000).ok());
}

// One run of actor-1 in a store over `dir`: `n` events recorded, then it stops (Release).
// With `append`, its chain file exists and goes on.
void RecordAndStop(const TempDir& dir, const ChainStore::Options& options, Chain& chain, int n, bool append = false) {
  ChainStore store(dir.path(), options);
  auto sink = store.Open("actor-1", append);
  Record(chain, *sink, n);
  store.Release(*sink);
}

std::vector<ChainEvent> ReadBack(const std::filesystem::path& path) {
  std::vector<ChainEvent> events;
  VerifyReport r = VerifyChainFile(path, &events);
  EXPECT_TRUE(r.ok) << r.reason;
  return events;
}

void AppendBytes(const std::filesystem::path& path, const Bytes& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

TEST(ChainStore, FlushPutsEverythingInTheFileAtOnce) {
  TempDir dir;
  ChainStore store(dir.path());
  auto sink = store.Open("actor-1");
  Chain chain;
  Record(chain, *sink, 7);
  ASSERT_TRUE(store.Flush(*sink).ok());
  // Read right after the flush, not after the writer thread's next round.
  EXPECT_EQ(ReadBack(dir / "actor-1.chain"), chain.events());
  Record(chain, *sink, 3);
  ASSERT_TRUE(store.Flush(*sink).ok());
  EXPECT_EQ(ReadBack(dir / "actor-1.chain"), chain.events());
}

TEST(ChainStore, TheWriterThreadWritesWhatIsNotFlushed) {
  TempDir dir;
  ChainStore store(dir.path());
  auto sink = store.Open("actor-1");
  Chain chain;
  Record(chain, *sink, 5);
  for (int i = 0; i < 200 && !std::filesystem::exists(dir / "actor-1.chain"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ReadBack(dir / "actor-1.chain"), chain.events());
}

TEST(ChainStore, WritesCheckpointsPeriodicallyAndAtTheEnd) {
  TempDir dir;
  ChainStore::Options options;
  options.checkpoint_interval = 10;
  options.signing_key = Ed25519Key::Generate().value();
  {
    ChainStore store(dir.path(), options);
    auto sink = store.Open("actor-1");
    Chain chain;
    Record(chain, *sink, 13);
    ASSERT_TRUE(store.Flush(*sink).ok());
    Record(chain, *sink, 12);
    store.Release(*sink);  // the actor stopped: a checkpoint for all 25
  }
  auto image = ReadChainImage(dir / "actor-1.chain");
  ASSERT_TRUE(image.ok()) << image.error();
  ASSERT_TRUE(image->checkpoints.has_value());
  auto file = ParseCheckpointFile(*image->checkpoints).value();
  EXPECT_EQ(file.actor_id, "actor-1");
  std::vector<uint64_t> sizes;
  for (const Checkpoint& c : file.checkpoints) sizes.push_back(c.tree_size);
  EXPECT_EQ(sizes, (std::vector<uint64_t>{10, 20, 25}));
  ChainVerification v = VerifyChainImage(*image, options.signing_key->public_key());
  EXPECT_TRUE(v.ok()) << v.checkpoints->reason;
  EXPECT_EQ(v.checkpoints->signed_count, 3u);
}

TEST(ChainStore, AChainThatGoesOnKeepsItsCheckpointsRight) {
  TempDir dir;
  ChainStore::Options options;
  options.checkpoint_interval = 8;
  Chain chain;
  RecordAndStop(dir, options, chain, 11);
  RecordAndStop(dir, options, chain, 9, /*append=*/true);
  EXPECT_EQ(ReadBack(dir / "actor-1.chain"), chain.events());
  auto image = ReadChainImage(dir / "actor-1.chain").value();
  ChainVerification v = VerifyChainImage(image);
  ASSERT_TRUE(v.ok()) << (v.checkpoints ? v.checkpoints->reason : "no checkpoints");
  std::vector<uint64_t> sizes;
  for (const Checkpoint& c : v.checkpoint_file->checkpoints) sizes.push_back(c.tree_size);
  EXPECT_EQ(sizes, (std::vector<uint64_t>{8, 11, 16, 20}));
}

// Found by Durability.SigkillLoses...: a SIGKILL while the checkpoint file's header was
// first written left part of it, and `chain verify` refused the chain. Such a file holds
// no checkpoint: recovery removes it, and a chain that goes on writes it anew.
TEST(ChainStore, ACheckpointFileCutInItsHeaderIsRemovedByRecovery) {
  TempDir dir;
  ChainStore::Options options;
  options.checkpoint_interval = 8;
  Chain chain;
  {
    ChainStore store(dir.path(), options);
    auto sink = store.Open("actor-1");
    Record(chain, *sink, 5);
    ASSERT_TRUE(store.Flush(*sink).ok());
  }
  std::filesystem::path checkpoints = CheckpointPathFor(dir / "actor-1.chain");
  Bytes header = EncodeCheckpointFileHeader("actor-1");
  for (size_t cut : {size_t{0}, size_t{3}, size_t{8}, size_t{10}, header.size() - 1}) {
    SCOPED_TRACE(cut);
    ASSERT_TRUE(WriteFileAtomic(checkpoints, std::span<const uint8_t>(header.data(), cut)).ok());
    auto parsed = ParseCheckpointFile(std::span<const uint8_t>(header.data(), cut));
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->valid_bytes, 0u);
    EXPECT_NE(parsed->torn, "");
    RecoveryReport r = RecoverChainFile(dir / "actor-1.chain");
    EXPECT_TRUE(r.ok());
    EXPECT_FALSE(std::filesystem::exists(checkpoints));
  }
  // Something else than a cut header is still refused.
  Bytes wrong = ToBytes("THCKPTXX");
  EXPECT_FALSE(ParseCheckpointFile(wrong).ok());
  // The chain goes on: its checkpoint file starts again with a header.
  ASSERT_TRUE(WriteFileAtomic(checkpoints, std::span<const uint8_t>(header.data(), 5)).ok());
  RecordAndStop(dir, options, chain, 6, /*append=*/true);
  auto image = ReadChainImage(dir / "actor-1.chain").value();
  ChainVerification v = VerifyChainImage(image);
  EXPECT_TRUE(v.ok()) << (v.checkpoints ? v.checkpoints->reason : "no checkpoints");
}

TEST(ChainStore, RecoveryCutsATornTailAndKeepsEveryWholeEvent) {
  TempDir dir;
  Chain chain;
  RecordAndStop(dir, ChainStore::Options(), chain, 6);
  std::filesystem::path path = dir / "actor-1.chain";
  Bytes whole = ReadFile(path).value();
  Bytes checkpoints = ReadFile(CheckpointPathFor(path)).value();
  // A crash in the middle of writing the next record, and of the next checkpoint.
  AppendBytes(path, {0, 0, 0, 90, 0, 0, 0, 0, 0, 0, 0, 6, 1});
  AppendBytes(CheckpointPathFor(path), {0, 0, 0, 49, 0, 0});
  VerifyReport before = VerifyChainFile(path);
  EXPECT_FALSE(before.ok);
  EXPECT_EQ(before.bad_seq, 6u);
  EXPECT_EQ(before.reason.rfind("truncated record", 0), 0u) << before.reason;

  RecoveryReport r = RecoverChainFile(path);
  EXPECT_TRUE(r.verify.ok) << r.verify.reason;
  EXPECT_EQ(r.dropped_bytes, 13u);
  EXPECT_EQ(r.dropped_checkpoint_bytes, 6u);
  EXPECT_EQ(ReadFile(path).value(), whole);
  EXPECT_EQ(ReadFile(CheckpointPathFor(path)).value(), checkpoints);
  EXPECT_EQ(ReadBack(path), chain.events());
}

TEST(ChainStore, RecoveryOfAHeaderCutShortLeavesAnEmptyChain) {
  TempDir dir;
  testing::WriteText(dir / "actor-1.chain", "THCH");
  EXPECT_FALSE(VerifyChainFile(dir / "actor-1.chain").ok);
  RecoveryReport r = RecoverChainFile(dir / "actor-1.chain");
  EXPECT_TRUE(r.verify.ok) << r.verify.reason;
  EXPECT_EQ(r.verify.events, 0u);
  testing::WriteText(dir / "other.chain", "THCX");  // not a torn header: left alone
  EXPECT_FALSE(RecoverChainFile(dir / "other.chain").verify.ok);
  EXPECT_EQ(ReadFile(dir / "other.chain").value(), ToBytes("THCX"));
}

TEST(ChainStore, RecoveryLeavesDamageThatIsNotATornTailAlone) {
  TempDir dir;
  {
    ChainStore store(dir.path());
    auto sink = store.Open("actor-1");
    Chain chain;
    Record(chain, *sink, 4);
    store.Release(*sink);
  }
  std::filesystem::path path = dir / "actor-1.chain";
  Bytes bytes = ReadFile(path).value();
  bytes[bytes.size() - 40] ^= 1;  // inside the last record: a changed event, not a torn one
  ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
  RecoveryReport r = RecoverChainFile(path);
  EXPECT_FALSE(r.verify.ok);
  EXPECT_EQ(r.dropped_bytes, 0u);
  EXPECT_EQ(ReadFile(path).value(), bytes) << "evidence is never cut away";
}

}  // namespace
}  // namespace theater

namespace theater {
namespace {

TEST(ChainStore, AFailedWriteStopsTheFileWhereItStillVerifies) {
  TempDir dir;
  ChainStore store(dir.path());
  auto sink = store.Open("actor-1");
  Chain chain;
  Record(chain, *sink, 5);
  ASSERT_TRUE(store.Flush(*sink).ok());
  uintmax_t size = std::filesystem::file_size(dir / "actor-1.chain");
  {
    testing::FileSizeLimit limit(size + 100);  // room for part of one more record
    Record(chain, *sink, 5);
    Status s = store.Flush(*sink);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("write failed"), std::string::npos) << s.message();
  }
  // The disk has room again, but the chain does not go on with a hole in it.
  Record(chain, *sink, 2);
  EXPECT_FALSE(store.Flush(*sink).ok());
  EXPECT_FALSE(sink->status().ok());
  RecoveryReport r = RecoverChainFile(dir / "actor-1.chain");
  ASSERT_TRUE(r.verify.ok) << r.verify.reason;
  std::vector<ChainEvent> on_disk = ReadBack(dir / "actor-1.chain");
  ASSERT_GE(on_disk.size(), 5u);
  ASSERT_LT(on_disk.size(), chain.size());
  EXPECT_TRUE(std::equal(on_disk.begin(), on_disk.end(), chain.events().begin())) << "a prefix of the chain";
}

}  // namespace
}  // namespace theater
