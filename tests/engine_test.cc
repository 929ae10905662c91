#include <gtest/gtest.h>

#include <chrono>

#include "common/files.h"
#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/state_call.h"
#include "test_util.h"

namespace theater {
namespace {

using testing::Fixture;
using testing::TempDir;

constexpr char kInitSignature[] = "func(option<list<u8>>, tuple<string>) -> result<tuple<option<list<u8>>>, string>";

struct Logged {
  std::vector<std::string> lines;
  bool fail = false;  // make the host function fail
};

// An engine with theater:simple/runtime#log, which appends to the Logged given as host data.
std::shared_ptr<Engine> MakeEngine(const std::filesystem::path& cache_dir = {}) {
  EngineOptions options;
  options.cache_dir = cache_dir;
  options.max_wasm_stack = 256 << 10;
  auto engine = Engine::Create(options);
  EXPECT_TRUE(engine.ok());
  Status s = (*engine)->DefineFunction("theater:simple/runtime", "log", "func(string)",
                                       [](void* data, std::vector<Value>& args) -> Result<std::optional<Value>> {
                                         auto* logged = static_cast<Logged*>(data);
                                         if (logged->fail) return Status::Error("log is broken today");
                                         logged->lines.push_back(args.at(0).as_string());
                                         return std::optional<Value>();
                                       });
  EXPECT_TRUE(s.ok());
  return *engine;
}

std::unique_ptr<Instance> Instantiate(std::shared_ptr<Engine> engine, const std::string& fixture, Logged* logged,
                                      InstanceLimits limits = {}) {
  auto component = engine->LoadComponentFile(Fixture(fixture));
  EXPECT_TRUE(component.ok()) << component.error();
  auto created = Instance::Create(engine, *component, limits, logged);
  if (auto* f = std::get_if<Failure>(&created)) {
    ADD_FAILURE() << f->Describe();
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<Instance>>(created));
}

Failure InitFailure(Instance& instance) {
  StateCallOutcome out = CallWithState(instance, "theater:simple/actor", "init", kInitSignature, std::nullopt,
                                       ValueList{Value::String("id")});
  EXPECT_FALSE(out.ok());
  return out.ok() ? Failure{} : out.failure();
}

TEST(Engine, RunsATextComponentAndItsHostCall) {
  Logged logged;
  auto instance = Instantiate(MakeEngine(), "hello.wat", &logged);
  ASSERT_TRUE(instance);
  StateCallOutcome out = CallWithState(*instance, "theater:simple/actor", "init", kInitSignature,
                                       ToBytes("state-in"), ValueList{Value::String("id")});
  ASSERT_TRUE(out.ok()) << out.failure().Describe();
  EXPECT_EQ(out.value().state, ToBytes("state-in"));
  EXPECT_EQ(logged.lines, std::vector<std::string>{"Hello from a WAT actor"});
}

TEST(Engine, RunsABinaryComponentBuiltByTheGuestToolchain) {
  auto engine = MakeEngine();
  auto component = engine->LoadComponentFile(testing::Example("greeter-c/greeter.wasm"));
  ASSERT_TRUE(component.ok()) << component.error();
  EXPECT_EQ((*component)->imports(), std::vector<std::string>({"theater:simple/types", "theater:simple/runtime"}));
}

TEST(Engine, RefusesBytesThatAreNotAComponent) {
  auto engine = MakeEngine();
  auto r = engine->LoadComponent(ToBytes("this is not wasm"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not a component"), std::string::npos) << r.error();
  r = engine->LoadComponent(ToBytes("(module)"));  // a core module, not a component
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("does not compile"), std::string::npos) << r.error();
  Bytes truncated = {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01};
  EXPECT_FALSE(engine->LoadComponent(truncated).ok());
}

TEST(Engine, SecondEngineLoadsTheCompiledArtifactFromDisk) {
  TempDir cache;
  {
    auto engine = MakeEngine(cache.path());
    auto c = engine->LoadComponentFile(Fixture("counter.wat"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->origin(), "compiled");
    EXPECT_EQ(engine->stats().compiled, 1u);
  }
  size_t files = std::distance(std::filesystem::directory_iterator(cache.path()), {});
  EXPECT_EQ(files, 1u);
  auto engine = MakeEngine(cache.path());
  auto c = engine->LoadComponentFile(Fixture("counter.wat"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->origin(), "disk-cache");
  EXPECT_EQ(engine->stats().compiled, 0u);
  EXPECT_EQ(engine->stats().loaded_from_disk, 1u);
  Logged logged;
  auto created = Instance::Create(engine, *c, {}, &logged);
  EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Instance>>(created));
}

TEST(Engine, CorruptCacheFileIsRecompiled) {
  TempDir cache;
  MakeEngine(cache.path())->LoadComponentFile(Fixture("counter.wat"));
  for (const auto& entry : std::filesystem::directory_iterator(cache.path()))
    testing::WriteText(entry.path(), "garbage");
  auto engine = MakeEngine(cache.path());
  auto c = engine->LoadComponentFile(Fixture("counter.wat"));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ((*c)->origin(), "compiled");
  EXPECT_EQ(engine->stats().compiled, 1u);
}

TEST(Engine, SameComponentIsSharedInMemory) {
  auto engine = MakeEngine();
  auto a = engine->LoadComponentFile(Fixture("counter.wat"));
  auto b = engine->LoadComponentFile(Fixture("counter.wat"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(engine->stats().reused_in_memory, 1u);
  EXPECT_EQ(ToHex((*a)->sha256()), ToHex(Sha256(ReadFile(Fixture("counter.wat")).value())));
}

TEST(Engine, TrapIsClassifiedWithMessageAndBacktrace) {
  auto instance = Instantiate(MakeEngine(), "trap.wat", nullptr);
  Failure f = InitFailure(*instance);
  EXPECT_EQ(f.kind, FailureKind::kTrap);
  EXPECT_NE(f.message.find("unreachable"), std::string::npos) << f.message;
  EXPECT_FALSE(f.backtrace.empty());
  EXPECT_EQ(f.function, "theater:simple/actor#init");
  EXPECT_TRUE(instance->poisoned());
}

TEST(Engine, EndlessLoopRunsOutOfFuel) {
  InstanceLimits limits;
  limits.fuel_per_call = 10'000'000;
  auto instance = Instantiate(MakeEngine(), "endless-loop.wat", nullptr, limits);
  EXPECT_EQ(InitFailure(*instance).kind, FailureKind::kOutOfFuel);
}

TEST(Engine, EndlessLoopWithoutFuelLimitHitsTheDeadline) {
  InstanceLimits limits;
  limits.fuel_per_call = 0;
  limits.call_timeout_ms = 100;
  auto instance = Instantiate(MakeEngine(), "endless-loop.wat", nullptr, limits);
  auto start = std::chrono::steady_clock::now();
  Failure f = InitFailure(*instance);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(f.kind, FailureKind::kDeadlineExceeded) << f.Describe();
  EXPECT_GE(elapsed, std::chrono::milliseconds(100));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

// A component of 1 MiB or more (a language's runtime inside) runs on the engine's second
// wasmtime engine, whose instances map the initial memory copy-on-write. Its limits hold the
// same: fuel, and the deadline, whose epoch ticks reach that engine too (without them this
// test hangs until CTest's timeout). The cache keeps the two engines' artifacts apart.
TEST(Engine, ALargeComponentMapsItsMemoryImageAndKeepsItsLimits) {
  std::string wat = testing::FileText(Fixture("endless-loop.wat"));
  std::string image(1'200'000, 'a');
  size_t at = wat.find("(memory (export \"memory\") 1)");
  ASSERT_NE(at, std::string::npos);
  wat.replace(at, std::string("(memory (export \"memory\") 1)").size(),
              "(memory (export \"memory\") 32)\n    (data (i32.const 65536) \"" + image + "\")");
  testing::TempDir dir;
  testing::WriteText(dir.path() / "large-loop.wat", wat);
  auto engine = MakeEngine(dir.path() / "cache");
  auto large = engine->LoadComponentFile(dir.path() / "large-loop.wat");
  ASSERT_TRUE(large.ok()) << large.error();
  EXPECT_TRUE((*large)->copy_on_write());
  auto small = engine->LoadComponentFile(Fixture("endless-loop.wat"));
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE((*small)->copy_on_write());

  auto run = [&](InstanceLimits limits) {
    auto created = Instance::Create(engine, *large, limits, nullptr);
    EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Instance>>(created));
    return InitFailure(*std::get<std::unique_ptr<Instance>>(created));
  };
  InstanceLimits fuel;
  fuel.fuel_per_call = 10'000'000;
  EXPECT_EQ(run(fuel).kind, FailureKind::kOutOfFuel);
  InstanceLimits deadline;
  deadline.fuel_per_call = 0;
  deadline.call_timeout_ms = 100;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(deadline).kind, FailureKind::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The small component runs beside it on the first engine.
  InstanceLimits small_limits;
  small_limits.fuel_per_call = 10'000'000;
  auto other = Instance::Create(engine, *small, small_limits, nullptr);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Instance>>(other));
  EXPECT_EQ(InitFailure(*std::get<std::unique_ptr<Instance>>(other)).kind, FailureKind::kOutOfFuel);

  // A second engine loads both from the cache, each with its own engine's artifact.
  auto again = MakeEngine(dir.path() / "cache");
  auto cached = again->LoadComponentFile(dir.path() / "large-loop.wat");
  ASSERT_TRUE(cached.ok()) << cached.error();
  EXPECT_EQ((*cached)->origin(), "disk-cache");
  EXPECT_TRUE((*cached)->copy_on_write());
  EXPECT_EQ(again->LoadComponentFile(Fixture("endless-loop.wat")).value()->origin(), "disk-cache");
}

TEST(Engine, MemoryBombRunsOutOfMemory) {
  InstanceLimits limits;
  limits.max_memory_bytes = 8 << 20;
  auto instance = Instantiate(MakeEngine(), "memory-bomb.wat", nullptr, limits);
  Failure f = InitFailure(*instance);
  EXPECT_EQ(f.kind, FailureKind::kOutOfMemory) << f.Describe();
  EXPECT_NE(f.message.find("8388608"), std::string::npos) << f.message;
}

TEST(Engine, UnboundedRecursionOverflowsTheStack) {
  auto instance = Instantiate(MakeEngine(), "recursion.wat", nullptr);
  Failure f = InitFailure(*instance);
  EXPECT_EQ(f.kind, FailureKind::kStackOverflow) << f.Describe();
  EXPECT_LE(f.backtrace.size(), 17u);  // capped
}

TEST(Engine, GuestErrorIsReported) {
  auto instance = Instantiate(MakeEngine(), "guest-error.wat", nullptr);
  Failure f = InitFailure(*instance);
  EXPECT_EQ(f.kind, FailureKind::kGuestError);
  EXPECT_EQ(f.message, "refusing to start");
  EXPECT_FALSE(instance->poisoned());  // a returned err() is not a trap
}

TEST(Engine, HostFunctionFailureAbortsTheCall) {
  Logged logged;
  logged.fail = true;
  auto instance = Instantiate(MakeEngine(), "hello.wat", &logged);
  Failure f = InitFailure(*instance);
  EXPECT_EQ(f.kind, FailureKind::kHostError);
  EXPECT_NE(f.message.find("theater:simple/runtime#log: log is broken today"), std::string::npos) << f.message;
}

TEST(Engine, EngineSurvivesEveryHostileFixture) {
  auto engine = MakeEngine();
  InstanceLimits limits;
  limits.fuel_per_call = 50'000'000;
  limits.call_timeout_ms = 2000;
  limits.max_memory_bytes = 16 << 20;
  for (const char* hostile : {"trap.wat", "endless-loop.wat", "memory-bomb.wat", "recursion.wat"}) {
    auto bad = Instantiate(engine, hostile, nullptr, limits);
    InitFailure(*bad);
    // The same engine keeps running healthy actors.
    Logged logged;
    auto good = Instantiate(engine, "hello.wat", &logged, limits);
    StateCallOutcome out = CallWithState(*good, "theater:simple/actor", "init", kInitSignature, std::nullopt,
                                         ValueList{Value::String("id")});
    EXPECT_TRUE(out.ok()) << "after " << hostile;
  }
}

TEST(Engine, MissingExport) {
  auto instance = Instantiate(MakeEngine(), "hello.wat", nullptr);
  CallOutcome out = instance->Call("theater:simple/message-server-client", "handle-send", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure().kind, FailureKind::kMissingExport);
  EXPECT_FALSE(instance->HasExport("theater:simple/actor", "nope"));
  EXPECT_TRUE(instance->HasExport("theater:simple/actor", "init"));
}

TEST(Engine, ExportWithTheWrongSignatureIsATypeMismatch) {
  auto instance = Instantiate(MakeEngine(), "bad-signature.wat", nullptr);
  StateCallOutcome out = CallWithState(
      *instance, "theater:simple/message-server-client", "handle-send",
      "func(option<list<u8>>, tuple<list<u8>>) -> result<tuple<option<list<u8>>>, string>", std::nullopt,
      ValueList{Value::BytesValue(ToBytes("x"))});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure().kind, FailureKind::kTypeMismatch);
  EXPECT_NE(out.failure().message.find("tuple<string>"), std::string::npos) << out.failure().message;
  EXPECT_FALSE(instance->poisoned());  // nothing ran
}

TEST(Engine, WrongArgumentsAreATypeMismatchNotACrash) {
  Logged logged;
  auto instance = Instantiate(MakeEngine(), "hello.wat", &logged);
  CallOutcome out = instance->Call("theater:simple/actor", "init", ValueList{Value::U32(7)});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure().kind, FailureKind::kTypeMismatch);
  // Invalid UTF-8 would abort inside wasmtime: it is refused before.
  std::vector<Value> bad = {Value::None(), Value::Tuple({Value::String("\xff\xfe")})};
  out = instance->Call("theater:simple/actor", "init", bad);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.failure().message.find("UTF-8"), std::string::npos);
  // A value of another kind where the typed route (engine/slots.h) expects the state.
  std::vector<Value> wrong_kind = {Value::U32(1), Value::Tuple({Value::String("id")})};
  out = instance->Call("theater:simple/actor", "init", wrong_kind);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.failure().kind, FailureKind::kTypeMismatch);
  EXPECT_NE(out.failure().message.find("argument 0"), std::string::npos) << out.failure().message;
  // The instance is still usable: nothing ran.
  out = instance->Call("theater:simple/actor", "init", ValueList{Value::None(), Value::Tuple({Value::String("id")})});
  EXPECT_TRUE(out.ok()) << out.failure().Describe();
}

TEST(Engine, ImportWithTheWrongSignatureIsRefusedBeforeRunning) {
  auto engine = MakeEngine();
  auto component = engine->LoadComponentFile(Fixture("bad-import.wat"));
  ASSERT_TRUE(component.ok());
  auto created = Instance::Create(engine, *component, {}, nullptr);
  ASSERT_TRUE(std::holds_alternative<Failure>(created));
  const Failure& f = std::get<Failure>(created);
  EXPECT_EQ(f.kind, FailureKind::kTypeMismatch);
  EXPECT_NE(f.message.find("func(u32)"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("func(string)"), std::string::npos) << f.message;
}

TEST(Engine, AComponentImportingWasiIsRefusedWithoutItsHooks) {
  auto engine = MakeEngine();
  auto component = engine->LoadComponentFile(Fixture("wasi-import.wat"));
  ASSERT_TRUE(component.ok());
  auto created = Instance::Create(engine, *component, {}, nullptr);
  ASSERT_TRUE(std::holds_alternative<Failure>(created));
  EXPECT_EQ(std::get<Failure>(created).kind, FailureKind::kInstantiation);
  EXPECT_NE(std::get<Failure>(created).message.find("wasi:cli/environment"), std::string::npos)
      << std::get<Failure>(created).message;
}

TEST(Engine, RendersExportSignatures) {
  auto instance = Instantiate(MakeEngine(), "init-state-only.wat", nullptr);
  EXPECT_EQ(instance->ExportSignature("theater:simple/actor", "init"),
            "func(option<list<u8>>) -> result<tuple<option<list<u8>>>, string>");
  EXPECT_EQ(instance->ExportSignature("theater:simple/actor", "nope"), std::nullopt);
}

TEST(Engine, FunctionsCannotBeDefinedAfterTheFirstInstance) {
  auto engine = MakeEngine();
  Instantiate(engine, "hello.wat", nullptr);
  Status s = engine->DefineFunction("x:y/z", "f", "func()", nullptr);
  EXPECT_FALSE(s.ok());
}

TEST(Engine, MeasuresFuel) {
  auto instance = Instantiate(MakeEngine(), "counter.wat", nullptr);
  StateCallOutcome out = CallWithState(*instance, "theater:simple/actor", "init", kInitSignature, ToBytes("41"),
                                       ValueList{Value::String("id")});
  ASSERT_TRUE(out.ok());
  EXPECT_GT(instance->fuel_used_last_call(), 0u);
  EXPECT_LT(instance->fuel_used_last_call(), 10000u);
}

}  // namespace
}  // namespace theater
