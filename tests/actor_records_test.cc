// storage/actor_records: the server's list of actors in SQLite.
#include "storage/actor_records.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace theater {
namespace {

using testing::TempDir;

ActorRecord Record(const std::string& id, const std::string& parent = "", const std::string& status = "running") {
  ActorRecord r;
  r.id = id;
  r.parent = parent;
  r.manifest = "/m/" + id + ".toml";
  r.status = status;
  return r;
}

std::vector<std::string> Ids(const std::vector<ActorRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

TEST(ActorRecordsTest, PutSetStatusRunningAllForgetClear) {
  TempDir dir;
  auto records = ActorRecords::Open(dir / "actors.db");
  ASSERT_TRUE(records.ok()) << records.error();
  ActorRecords& db = **records;
  ASSERT_TRUE(db.Put(Record("a")).ok());
  ASSERT_TRUE(db.Put(Record("b", "a")).ok());
  ASSERT_TRUE(db.Put(Record("c")).ok());
  ASSERT_TRUE(db.Put(Record("d", "b")).ok());
  EXPECT_EQ(Ids(db.All().value()), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(Ids(db.Running().value()), (std::vector<std::string>{"a", "b", "c", "d"}));

  ASSERT_TRUE(db.SetStatus("c", "stopped", "stopped").ok());
  ASSERT_TRUE(db.SetStatus("d", "failed", "out-of-fuel").ok());
  EXPECT_EQ(Ids(db.Running().value()), (std::vector<std::string>{"a", "b"}));
  auto all = db.All().value();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].status, "failed");
  EXPECT_EQ(all[3].reason, "out-of-fuel");
  EXPECT_EQ(all[3].parent, "b");
  EXPECT_EQ(all[3].manifest, "/m/d.toml");
  EXPECT_GT(all[3].created_ms, 0u);
  EXPECT_GE(all[3].updated_ms, all[3].created_ms);
  EXPECT_LT(all[0].order, all[1].order);

  // Replacing keeps the order and the creation time.
  ActorRecord again = Record("a");
  again.reason = "revived";
  again.created_ms = 1;  // ignored: the first one stays
  uint64_t created = all[0].created_ms, order = all[0].order;
  ASSERT_TRUE(db.Put(again).ok());
  all = db.All().value();
  EXPECT_EQ(Ids(all), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(all[0].order, order);
  EXPECT_EQ(all[0].created_ms, created);
  EXPECT_EQ(all[0].reason, "revived");

  EXPECT_FALSE(db.SetStatus("nobody", "stopped", "").ok());
  EXPECT_FALSE(db.SetStatus("a", "sleeping", "").ok());
  EXPECT_FALSE(db.Put(Record("e", "", "sleeping")).ok());

  ASSERT_TRUE(db.Forget("b").ok());
  ASSERT_TRUE(db.Forget("b").ok());  // nothing to forget is fine
  EXPECT_EQ(Ids(db.All().value()), (std::vector<std::string>{"a", "c", "d"}));
  ASSERT_TRUE(db.Clear().ok());
  EXPECT_TRUE(db.All().value().empty());
}

TEST(ActorRecordsTest, ParentsComeBeforeTheirChildrenEvenWhenPutAfterThem) {
  TempDir dir;
  auto db = ActorRecords::Open(dir / "actors.db").value();
  ASSERT_TRUE(db->Put(Record("boss")).ok());
  ASSERT_TRUE(db->Put(Record("child", "boss")).ok());
  ASSERT_TRUE(db->Put(Record("grandchild", "child")).ok());
  // The boss's record is forgotten and put again: it is now the last one inserted.
  ASSERT_TRUE(db->Forget("boss").ok());
  ASSERT_TRUE(db->Put(Record("boss")).ok());
  EXPECT_EQ(Ids(db->All().value()), (std::vector<std::string>{"child", "grandchild", "boss"}));
  EXPECT_EQ(Ids(db->Running().value()), (std::vector<std::string>{"boss", "child", "grandchild"}));
}

TEST(ActorRecordsTest, ReopenedFileHasTheData) {
  TempDir dir;
  {
    auto db = ActorRecords::Open(dir / "actors.db").value();
    ASSERT_TRUE(db->Put(Record("a")).ok());
    ASSERT_TRUE(db->Put(Record("b", "a")).ok());
    ASSERT_TRUE(db->SetStatus("a", "stopped", "system shutdown").ok());
  }
  auto db = ActorRecords::Open(dir / "actors.db");
  ASSERT_TRUE(db.ok()) << db.error();
  auto all = (*db)->All().value();
  ASSERT_EQ(Ids(all), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(all[0].status, "stopped");
  EXPECT_EQ(all[0].reason, "system shutdown");
  EXPECT_EQ(all[1].parent, "a");
  EXPECT_EQ(Ids((*db)->Running().value()), std::vector<std::string>{"b"});
  ASSERT_TRUE((*db)->Put(Record("c")).ok());
  EXPECT_GT((*db)->All().value()[2].order, all[1].order);
}

TEST(ActorRecordsTest, GarbageFileIsAnErrorNamingIt) {
  TempDir dir;
  std::string garbage;
  for (int i = 0; i < 200; ++i) garbage += "this is not a database\n";
  testing::WriteText(dir / "actors.db", garbage);
  auto db = ActorRecords::Open(dir / "actors.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().find((dir / "actors.db").string()), std::string::npos) << db.error();
  EXPECT_NE(db.error().find("not a database"), std::string::npos) << db.error();

  testing::WriteText(dir / "short.db", "junk");
  auto short_db = ActorRecords::Open(dir / "short.db");
  ASSERT_FALSE(short_db.ok());
  EXPECT_NE(short_db.error().find((dir / "short.db").string()), std::string::npos) << short_db.error();

  auto missing_dir = ActorRecords::Open(dir / "no" / "such" / "actors.db");
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.error().find("actors.db"), std::string::npos) << missing_dir.error();
}

TEST(ActorRecordsTest, ConcurrentWritersAndReaders) {
  TempDir dir;
  auto db = ActorRecords::Open(dir / "actors.db").value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(db->Put(Record(id)).ok());
        EXPECT_TRUE(db->SetStatus(id, i % 2 ? "stopped" : "running", "").ok());
        EXPECT_TRUE(db->Running().ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(db->All().value().size(), 200u);
  EXPECT_EQ(db->Running().value().size(), 100u);
}

}  // namespace
}  // namespace theater
