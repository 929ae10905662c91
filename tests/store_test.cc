// theater:simple/store (tests/guests/store_probe.c calls each function on request), its
// ownership rules and limits, store:// components and manifests, the `theater store`
// commands, durability of store.db and replay without it.
#include "common/bytes.h"
#include "common/sha256.h"
#include "common/uuid.h"
#include "runtime/replay.h"
#include "server_test_util.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::RunTheater;
using testing::SystemTest;
using testing::TempDir;

using testing::Data;
std::string Sha(const std::string& text) { return ToHex(Sha256(text)); }
using testing::Q;

class StoreTest : public SystemTest {
 protected:
  // A store probe; `store` is the settings of its store handler.
  std::string SpawnProbe(const std::string& store = "") {
    std::string text = "name = \"probe\"\nversion = \"1\"\ncomponent = \"" + Guest("store-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"store\"\n" + store + "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "probe.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    auto id = system_->Spawn(*m);
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }
  ContentStore& Store() { return *system_->content_store().value(); }
  // A store that belongs to no actor (as `theater store new` makes them).
  std::string Unowned() { return Store().NewStore("").value(); }
  // The `denied` of the last event of `type` in `id`'s chain ("" when none).
  std::string LastDenial(const std::string& id, const std::string& type) {
    std::string denied;
    for (const auto& e : Events(id))
      if (e.type == type) {
        auto d = Data(e);
        denied = d.contains("denied") ? d["denied"].get<std::string>() : "";
      }
    return denied;
  }
};

TEST_F(StoreTest, EveryFunctionThroughARealActor) {
  std::string probe = SpawnProbe();
  std::string s = Ask(probe, "new");
  ASSERT_TRUE(IsUuid(s)) << s;
  EXPECT_EQ(Store().Owner(s).value(), probe);

  std::string hello = Ask(probe, "store " + s + " hello");
  EXPECT_EQ(hello, Sha("hello"));
  EXPECT_EQ(Ask(probe, "store " + s + " hello"), hello);  // stored once
  EXPECT_EQ(Ask(probe, "get " + s + " " + hello), "hello");
  EXPECT_EQ(Ask(probe, "exists " + s + " " + hello), "true");
  EXPECT_EQ(Ask(probe, "exists " + s + " " + Sha("nope")), "false");
  EXPECT_EQ(Ask(probe, "size " + s), "5");

  EXPECT_EQ(Ask(probe, "label " + s + " greeting " + hello), "ok");
  EXPECT_EQ(Ask(probe, "get-by-label " + s + " greeting"), hello);
  EXPECT_EQ(Ask(probe, "get-by-label " + s + " nothing"), "none");

  // store-at-label appends: the label's current content is the last one.
  std::string world = Ask(probe, "store-at-label " + s + " greeting world");
  EXPECT_EQ(world, Sha("world"));
  EXPECT_EQ(Ask(probe, "get-by-label " + s + " greeting"), world);
  EXPECT_EQ(Ask(probe, "remove-from-label " + s + " greeting " + world), "ok");
  EXPECT_EQ(Ask(probe, "get-by-label " + s + " greeting"), hello);

  // replace-content-at-label and replace-at-label make the label name just one ref.
  std::string bye = Ask(probe, "replace-content-at-label " + s + " greeting bye");
  EXPECT_EQ(bye, Sha("bye"));
  EXPECT_EQ(Ask(probe, "remove-from-label " + s + " greeting " + bye), "ok");
  EXPECT_EQ(Ask(probe, "get-by-label " + s + " greeting"), "none");  // hello was replaced
  EXPECT_EQ(Ask(probe, "replace-at-label " + s + " other " + world), "ok");
  EXPECT_EQ(Ask(probe, "store-at-label " + s + " again hello"), hello);

  EXPECT_EQ(Ask(probe, "list-labels " + s), "again,other");
  EXPECT_EQ(Ask(probe, "list-all-content " + s), hello + "," + world + "," + bye);
  EXPECT_EQ(Ask(probe, "size " + s), "13");
  EXPECT_EQ(Ask(probe, "remove-label " + s + " other"), "ok");
  EXPECT_EQ(Ask(probe, "list-labels " + s), "again");
  // Labelling content the store does not have is an error.
  std::string missing = Sha("missing");
  std::string answer = Ask(probe, "label " + s + " x " + missing);
  EXPECT_NE(answer.find("has no content " + missing), std::string::npos) << answer;

  // Every call is recorded with its arguments and answer.
  auto event = FindEvent(probe, "theater:simple/store/get");
  ASSERT_TRUE(event);
  EXPECT_EQ(Data(*event)["args"][0], s);
  for (const char* fn : {"new", "store", "get", "exists", "label", "get-by-label", "remove-label", "remove-from-label",
                         "store-at-label", "replace-content-at-label", "replace-at-label", "list-labels",
                         "list-all-content", "calculate-total-size"})
    EXPECT_TRUE(FindEvent(probe, std::string("theater:simple/store/") + fn)) << fn;
}

TEST_F(StoreTest, TheSizeLimitRefusesAndWritesNothing) {
  std::string probe = SpawnProbe("max_total_size = 1000");
  std::string s = Ask(probe, "new");
  EXPECT_EQ(Ask(probe, "big " + s + " 600").size(), 64u);
  std::string over = Ask(probe, "big " + s + " 500");  // 1100 > 1000
  EXPECT_NE(over.find("over its limit of 1000 (max_total_size)"), std::string::npos) << over;
  std::string huge = Ask(probe, "big " + s + " 5000");  // more than the limit in one call
  EXPECT_NE(huge.find("5000 bytes of content is more than max_total_size (1000)"), std::string::npos) << huge;
  // A refused store-at-label leaves the label alone too.
  std::string refused = Ask(probe, "replace-content-at-label " + s + " k " + std::string(600, 'y'));
  EXPECT_EQ(refused.rfind("err: ", 0), 0u) << refused;
  EXPECT_EQ(Ask(probe, "size " + s), "600");
  EXPECT_EQ(Ask(probe, "list-labels " + s), "");
  EXPECT_EQ(Store().AllContent(s).value().size(), 1u);
  // Content already stored costs nothing more.
  EXPECT_EQ(Ask(probe, "big " + s + " 600").size(), 64u);
}

// Each store may hold max_total_size: how many one actor makes is bounded too.
TEST_F(StoreTest, AnActorCreatesAtMostMaxStores) {
  std::string probe = SpawnProbe("max_stores = 2");
  EXPECT_TRUE(IsUuid(Ask(probe, "new")));
  EXPECT_TRUE(IsUuid(Ask(probe, "new")));
  std::string third = Ask(probe, "new");
  EXPECT_NE(third.find("already has 2 stores"), std::string::npos) << third;
  EXPECT_NE(third.find("max_stores 2"), std::string::npos) << third;
  // Another actor has its own count; stores made by the CLI count for no one.
  EXPECT_TRUE(IsUuid(Ask(SpawnProbe("max_stores = 2"), "new")));
  EXPECT_TRUE(IsUuid(Unowned()));
}

TEST_F(StoreTest, AnotherActorsStoreIsRefusedUnlessGranted) {
  std::string owner = SpawnProbe(), intruder = SpawnProbe();
  std::string s = Ask(owner, "new");
  std::string ref = Ask(owner, "store-at-label " + s + " secret s3cret");
  for (const std::string& cmd : {"get " + s + " " + ref, "list-labels " + s, "store " + s + " x"}) {
    std::string answer = Ask(intruder, cmd);
    EXPECT_NE(answer.find("store " + s + " belongs to another actor and is not in this actor's `stores` setting"),
              std::string::npos)
        << cmd << ": " << answer;
  }
  EXPECT_NE(LastDenial(intruder, "theater:simple/store/get").find("belongs to another actor"), std::string::npos);
  EXPECT_EQ(LastDenial(owner, "theater:simple/store/get"), "");
  // A store listed in `stores` is usable; an unowned store is not, unless listed.
  std::string unowned = Unowned();
  std::string answer = Ask(intruder, "list-labels " + unowned);
  EXPECT_NE(answer.find("belongs to no actor"), std::string::npos) << answer;
  std::string granted = SpawnProbe("stores = [\"" + s + "\", \"" + unowned + "\"]");
  EXPECT_EQ(Ask(granted, "get " + s + " " + ref), "s3cret");
  EXPECT_EQ(Ask(granted, "store-at-label " + unowned + " k v"), Sha("v"));
  // A store that does not exist is named.
  std::string none = NewUuidV4();
  answer = Ask(granted, "list-labels " + none);
  EXPECT_NE(answer.find("no store with id " + none), std::string::npos) << answer;
}

TEST_F(StoreTest, BadRefsAndMissingContentAreClearErrors) {
  std::string probe = SpawnProbe();
  std::string s = Ask(probe, "new");
  for (const std::string& bad : {std::string("abc"), std::string(64, 'g'), std::string(65, 'a')}) {
    std::string answer = Ask(probe, "get " + s + " " + bad);
    EXPECT_NE(answer.find("is not a content ref (64 hex digits of a SHA-256)"), std::string::npos) << answer;
    answer = Ask(probe, "exists " + s + " " + bad);
    EXPECT_NE(answer.find("is not a content ref"), std::string::npos) << answer;
  }
  std::string missing = Sha("never stored");
  std::string answer = Ask(probe, "get " + s + " " + missing);
  EXPECT_NE(answer.find("store " + s + " has no content " + missing), std::string::npos) << answer;
  // Upper-case hex is the same ref.
  std::string ref = Ask(probe, "store " + s + " Case");
  std::string upper = ref;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Ask(probe, "get " + s + " " + upper), "Case");
  // An empty label is refused.
  answer = Ask(probe, "replace-at-label " + s + "  " + ref);
  EXPECT_NE(answer.find("a label cannot be empty"), std::string::npos) << answer;
}

TEST_F(StoreTest, TwoActorsStoreAtOnce) {
  std::string unowned = Unowned();
  std::string grant = "stores = [\"" + unowned + "\"]";
  std::string a = SpawnProbe(grant), b = SpawnProbe(grant);
  constexpr int kEach = 40;
  std::vector<std::future<RequestResult>> answers;
  for (int i = 0; i < kEach; ++i) {
    answers.push_back(system_->Request(a, ToBytes("store-at-label " + unowned + " a" + std::to_string(i) + " va" + std::to_string(i))));
    answers.push_back(system_->Request(b, ToBytes("store-at-label " + unowned + " b" + std::to_string(i) + " vb" + std::to_string(i))));
    answers.push_back(system_->Request(b, ToBytes("store-at-label " + unowned + " shared v" + std::to_string(i))));
  }
  for (auto& f : answers) {
    RequestResult r = f.get();
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(ToString(r.response).size(), 64u) << ToString(r.response);
  }
  EXPECT_EQ(Store().Labels(unowned).value().size(), 2u * kEach + 1);
  EXPECT_EQ(Store().AllContent(unowned).value().size(), 3u * kEach);
  EXPECT_EQ(ToString(Store().Read("store://" + unowned + "/a7").value()), "va7");
}

TEST_F(StoreTest, TheDataOutlivesTheSystem) {
  std::string probe = SpawnProbe();
  std::string s = Ask(probe, "new");
  std::string ref = Ask(probe, "store-at-label " + s + " kept durable");
  system_.reset();
  {
    auto reopened = ContentStore::Open(dir_.path() / "store.db");
    ASSERT_TRUE(reopened.ok()) << reopened.error();
    EXPECT_EQ(ToString((*reopened)->Get(s, ref).value()), "durable");
    EXPECT_EQ((*reopened)->GetLabel(s, "kept").value(), ref);
  }
  SystemOptions options;
  options.data_dir = dir_.path();
  options.workers = 1;
  system_ = ActorSystem::Create(testing::SharedEngine(), options).value();
  std::string reader = SpawnProbe("stores = [\"" + s + "\"]");
  EXPECT_EQ(Ask(reader, "get " + s + " " + ref), "durable");
}

TEST_F(StoreTest, AComponentFromTheStore) {
  std::string s = Unowned();
  auto component = ReadFile(Guest("messenger.wasm")).value();
  Store().PutAtLabel(s, "messenger", component, ContentStore::kDefaultMaxTotalSize, true).value();
  auto m = ParseManifest("name = \"m\"\nversion = \"1\"\ncomponent = \"store://" + s +
                             "/messenger\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n",
                         THEATER_FIXTURES, "m.toml");
  ASSERT_TRUE(m.ok()) << m.error();
  auto id = system_->Spawn(*m);
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(Ask(*id, "echo hi"), "hi");
  // A missing label or store names the reference.
  m->component = "store://" + s + "/nothing";
  auto missing = system_->Spawn(*m);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("store://" + s + "/nothing: store " + s + " has no label `nothing`"), std::string::npos)
      << missing.error();
  std::string none = NewUuidV4();
  m->component = "store://" + none + "/messenger";
  missing = system_->Spawn(*m);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("no store with id " + none), std::string::npos) << missing.error();
}

TEST_F(StoreTest, SupervisorSpawnsAManifestFromTheStore) {
  std::string s = Unowned();
  Store().PutAtLabel(s, "messenger", ReadFile(Guest("messenger.wasm")).value(), ContentStore::kDefaultMaxTotalSize, true).value();
  std::string child = "name = \"child\"\nversion = \"1\"\ncomponent = \"store://" + s +
                      "/messenger\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
  Store().PutAtLabel(s, "child.toml", ToBytes(child), ContentStore::kDefaultMaxTotalSize, true).value();
  auto boss_manifest = [&](const std::string& store_settings) {
    return ParseManifest("name = \"boss\"\nversion = \"1\"\ncomponent = \"" + Guest("boss.wasm").string() +
                             "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                             "[[handler]]\ntype = \"supervisor\"\n[[handler]]\ntype = \"store\"\n" + store_settings + "\n",
                         THEATER_FIXTURES, "boss.toml")
        .value();
  };
  std::string boss = system_->Spawn(boss_manifest("stores = [\"" + s + "\"]")).value();
  std::string answer = Ask(boss, "spawn store://" + s + "/child.toml");
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  std::string child_id = answer.substr(4);
  EXPECT_EQ(Ask(child_id, "echo from the store"), "from the store");
  answer = Ask(boss, "spawn store://" + s + "/absent.toml");
  EXPECT_NE(answer.find("store://" + s + "/absent.toml: store " + s + " has no label `absent.toml`"), std::string::npos)
      << answer;
  // A supervisor that is not granted the store cannot read manifests from it.
  std::string other = system_->Spawn(boss_manifest("")).value();
  answer = Ask(other, "spawn store://" + s + "/child.toml");
  EXPECT_NE(answer.find("is not in this actor's `stores` setting"), std::string::npos) << answer;
  EXPECT_NE(LastDenial(other, "theater:simple/supervisor/spawn").find("stores"), std::string::npos);
}

TEST_F(StoreTest, ReplayNeverOpensTheStore) {
  std::string probe = SpawnProbe();
  std::string s = Ask(probe, "new");
  std::string ref = Ask(probe, "store-at-label " + s + " k value");
  Ask(probe, "get " + s + " " + ref);
  Ask(probe, "list-labels " + s);
  Ask(probe, "size " + s);
  Ask(probe, "get " + s + " " + Sha("absent"));  // an error replays too
  auto events = Events(probe);
  system_.reset();
  for (const char* f : {"store.db", "store.db-wal", "store.db-shm"}) std::filesystem::remove(dir_.path() / f);
  ReplayReport r = Replay(events, {});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.identical) << r.divergence->why;
  EXPECT_EQ(r.events, events.size());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "store.db"));
}

// A child spawned from a store:// manifest comes back when the server starts again.
class StoreServerTest : public testing::ServerTest {};

TEST_F(StoreServerTest, AChildFromAStoreManifestIsRevived) {
  StartServer();
  ActorSystem& system = server_->system();
  ContentStore& store = *system.content_store().value();
  std::string s = store.NewStore("").value();
  store.PutAtLabel(s, "messenger", ReadFile(Guest("messenger.wasm")).value(), ContentStore::kDefaultMaxTotalSize, true).value();
  // The child's component is in the store too: a supervisor's children name only what it
  // may reach (its folder, its stores).
  std::string child_toml = "name = \"child\"\nversion = \"1\"\ncomponent = \"store://" + s +
                           "/messenger\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
  store.PutAtLabel(s, "child.toml", ToBytes(child_toml), ContentStore::kDefaultMaxTotalSize, true).value();
  testing::WriteText(dir_.path() / "boss.toml",
                     "name = \"boss\"\nversion = \"1\"\ncomponent = \"" + Guest("boss.wasm").string() +
                         "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                         "[[handler]]\ntype = \"supervisor\"\n[[handler]]\ntype = \"store\"\nstores = [\"" + s + "\"]\n");
  std::string boss = system.Spawn(LoadManifest(dir_.path() / "boss.toml").value()).value();
  RequestResult spawned = system.Request(boss, ToBytes("spawn store://" + s + "/child.toml")).get();
  ASSERT_TRUE(spawned.ok) << spawned.error;
  std::string answer = ToString(spawned.response);
  ASSERT_EQ(answer.rfind("ok: ", 0), 0u) << answer;
  std::string child = answer.substr(4);
  StopServer();

  StartServer();
  server::ServerStats stats = server_->Stats();
  EXPECT_EQ(stats.revived, 2u);
  EXPECT_TRUE(stats.revive_errors.empty()) << stats.revive_errors.front();
  RequestResult echoed = server_->system().Request(child, ToBytes("echo back")).get();
  ASSERT_TRUE(echoed.ok) << echoed.error;
  EXPECT_EQ(ToString(echoed.response), "back");
}

TEST(ContentStoreFile, BadFilesAndReferencesAreNamed) {
  TempDir dir;
  testing::WriteText(dir.path() / "junk.db", std::string(4096, 'j'));
  auto junk = ContentStore::Open(dir.path() / "junk.db");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().find("junk.db"), std::string::npos) << junk.error();
  for (const char* bad : {"store://", "store://abc/label", "store://0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10",
                          "store://0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10/"}) {
    auto ref = ParseStoreReference(bad);
    ASSERT_FALSE(ref.ok()) << bad;
    EXPECT_NE(ref.error().find(bad), std::string::npos) << ref.error();
  }
  auto ok = ParseStoreReference("store://0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10/a/b.toml");
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->label, "a/b.toml");
}

TEST(StoreCli, NewPutGetLabelsAndRunAComponentFromTheStore) {
  TempDir home;
  auto made = RunTheater("store new", home.path());
  ASSERT_EQ(made.exit_code, 0) << made.out;
  std::string id = made.out.substr(0, made.out.find('\n'));
  ASSERT_TRUE(IsUuid(id)) << made.out;
  testing::WriteText(home.path() / "note.txt", "a note");
  auto put = RunTheater("store put " + id + " note " + Q(home.path() / "note.txt"), home.path());
  ASSERT_EQ(put.exit_code, 0) << put.out;
  EXPECT_EQ(put.out, Sha("a note") + "\n");
  auto got = RunTheater("store get " + id + " note", home.path());
  EXPECT_EQ(got.exit_code, 0);
  EXPECT_EQ(got.out, "a note");
  ASSERT_EQ(RunTheater("store get " + id + " note -o " + Q(home.path() / "out.txt"), home.path()).exit_code, 0);
  EXPECT_EQ(testing::FileText(home.path() / "out.txt"), "a note");
  auto labels = RunTheater("store labels " + id, home.path());
  EXPECT_EQ(labels.out, "note\t" + Sha("a note") + "\n");
  auto missing = RunTheater("store get " + id + " nope", home.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("store://" + id + "/nope: store " + id + " has no label `nope`"), std::string::npos)
      << missing.out;
  auto help = RunTheater("store put --help", home.path());
  EXPECT_NE(help.out.find("prints the content ref"), std::string::npos) << help.out;

  // End to end: a component put in the store, run from a manifest that points at it.
  ASSERT_EQ(RunTheater("store put " + id + " greeter " + Q(testing::Example("greeter-c/greeter.wasm")), home.path()).exit_code, 0);
  testing::WriteText(home.path() / "greeter.toml", "name = \"greeter\"\nversion = \"1\"\ncomponent = \"store://" + id +
                                                       "/greeter\"\n[[handler]]\ntype = \"runtime\"\n"
                                                       "[[handler]]\ntype = \"message-server\"\n");
  auto run = RunTheater("run " + Q(home.path() / "greeter.toml") + " --request Ada", home.path());
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("Hello, Ada!"), std::string::npos) << run.out;
}

TEST(StoreCli, RunsTheKvStoreExample) {
  TempDir home;
  auto r = RunTheater("run " + Q(testing::Example("kv-store/manifest.toml")) +
                          " --request 'set lang c' --request 'set year 2026' --request 'get lang' --request 'del year'"
                          " --request keys --request 'get year'",
                      home.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("response  \"ok\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("response  \"c\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("response  \"lang\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("response  \"not found\""), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(home.path() / "store.db"));
}

}  // namespace
}  // namespace theater
