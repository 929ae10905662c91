// A fixture with an engine (every host interface defined) and an actor system, and
// helpers to start actors and talk to them.
#pragma once

#include <gtest/gtest.h>

#include "chain/chain_file.h"
#include "host/host_interfaces.h"
#include "runtime/actor_system.h"
#include "test_util.h"

namespace theater::testing {

inline std::shared_ptr<Engine> SharedEngine() {
  // One engine for the whole test binary: compiled components are shared.
  static std::shared_ptr<Engine> engine = [] {
    auto e = Engine::Create({});
    if (!e.ok() || !host::DefineAllInterfaces(**e).ok()) std::abort();
    return *e;
  }();
  return engine;
}

class SystemTest : public ::testing::Test {
 public:
  // A manifest for `component` (absolute or relative to tests/fixtures) granting `handlers`.
  static Manifest MakeManifest(const std::filesystem::path& component,
                               const std::vector<std::string>& handlers = {"runtime", "message-server"},
                               const std::string& extra = "") {
    std::string text = "name = \"test\"\nversion = \"0.1.0\"\ncomponent = \"" + component.string() + "\"\n" + extra + "\n";
    for (const auto& h : handlers) text += "[[handler]]\ntype = \"" + h + "\"\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "test.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return *m;
  }

 protected:
  // Override to change the system's options before it is created.
  virtual void Configure(SystemOptions& options) {}

  void SetUp() override {
    SystemOptions options;
    options.chain_dir = dir_.path() / "chains";
    options.data_dir = dir_.path();
    options.workers = 2;
    options.log_sink = [this](const std::string&, const std::string& line) {
      std::lock_guard lock(mu_);
      logs_.push_back(line);
    };
    options.on_failure = [this](const std::string& id, const Failure& f) {
      std::lock_guard lock(mu_);
      failures_.emplace_back(id, f);
    };
    Configure(options);
    auto system = ActorSystem::Create(SharedEngine(), options);
    ASSERT_TRUE(system.ok()) << system.error();
    system_ = std::move(*system);
  }

  void TearDown() override { system_.reset(); }


  std::string Spawn(const std::filesystem::path& component, std::optional<Bytes> state = std::nullopt,
                    const std::vector<std::string>& handlers = {"runtime", "message-server"}) {
    auto id = system_->Spawn(MakeManifest(component, handlers), std::move(state));
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }
  std::string SpawnMessenger() { return Spawn(Guest("messenger.wasm")); }

  // An outside request; "ERROR: why" when it gets no response.
  std::string Ask(const std::string& id, const std::string& text,
                  std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    RequestResult r = system_->Request(id, ToBytes(text), timeout).get();
    return r.ok ? ToString(r.response) : "ERROR: " + r.error;
  }

  std::vector<ChainEvent> Events(const std::string& id) { return system_->Events(id).value(); }

  // The first event of `type` in `id`'s chain, or nullptr.
  std::optional<ChainEvent> FindEvent(const std::string& id, const std::string& type, size_t skip = 0) {
    for (const auto& e : Events(id))
      if (e.type == type && skip-- == 0) return e;
    return std::nullopt;
  }

  ActorStatus StatusOf(const std::string& id) { return system_->Info(id).value().status; }

  // Waits until `id` has stopped (or failed), up to a few seconds.
  bool WaitStopped(const std::string& id) {
    for (int i = 0; i < 500; ++i) {
      ActorStatus s = StatusOf(id);
      if (s == ActorStatus::kStopped || s == ActorStatus::kFailed) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<ActorSystem> system_;
  std::mutex mu_;
  std::vector<std::string> logs_;
  std::vector<std::pair<std::string, Failure>> failures_;
};

}  // namespace theater::testing
