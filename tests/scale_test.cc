// Thousands of actors in one process: a ring of requests through 10,000 of them, each
// waiting on the next at the same time (on a fiber, not a thread), and every chain verifying.
#include <sys/resource.h>

#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;

class ScaleTest : public SystemTest {
 protected:
  void Configure(SystemOptions& options) override {
    options.request_timeout = std::chrono::seconds(120);
  }
};

TEST_F(ScaleTest, RingOfRequestsThroughTenThousandActors) {
  constexpr int kActors = 10000;
  ASSERT_GE(system_->max_actors(), static_cast<size_t>(kActors))
      << "vm.max_map_count is too low for 10,000 actors: run scripts/setup.sh (it raises it)";
  Manifest manifest = MakeManifest(Guest("ring.wasm"));
  // Spawned from the end of the ring, so each link knows the next one's id.
  std::vector<std::string> ids;
  std::string next;
  for (int i = 0; i < kActors; ++i) {
    auto id = system_->Spawn(manifest, ToBytes(next));
    ASSERT_TRUE(id.ok()) << "actor " << i << ": " << id.error();
    ids.push_back(*id);
    next = *id;
  }
  EXPECT_EQ(system_->List().size(), static_cast<size_t>(kActors));

  RequestResult r = system_->Request(ids.back(), ToBytes("around the ring"), std::chrono::seconds(120)).get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(ToString(r.response), "around the ring");
  EXPECT_TRUE(failures_.empty());

  system_->Shutdown();
  size_t verified = 0;
  for (const auto& info : system_->List()) {
    VerifyReport report = VerifyChainFile(info.chain_path);
    EXPECT_TRUE(report.ok) << info.id << ": " << report.reason;
    // started, init (call, result), the request (call, [request, request/done], result), stopped;
    // the last link answers without asking further.
    EXPECT_EQ(report.events, info.id == ids.front() ? 6u : 8u) << info.id;
    verified += report.ok;
  }
  EXPECT_EQ(verified, static_cast<size_t>(kActors));
}

}  // namespace
}  // namespace theater
