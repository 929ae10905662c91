// Item 15 of "Containment holes": a send acknowledged as durable survives SIGKILL of the
// server. Clients stream durable sends at a real `theater server` process, which is killed
// in the middle; every message that was acknowledged is in the actor's chain afterwards
// (and the chain verifies), and the actor comes back without getting any of them twice.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "chain/chain_file.h"
#include "process_util.h"
#include "server/client.h"
#include "server_test_util.h"

namespace theater {
namespace {

using server::json;
using testing::TempDir;
using testing::TheaterServer;

TEST(HostileDurability, AcknowledgedDurableSendsSurviveSigkill) {
  TempDir dir;
  std::filesystem::path data = dir / "data";
  std::string actor;
  std::set<int> acknowledged;
  {
    TheaterServer server(data);
    ASSERT_FALSE(server.address().empty()) << server.LogText();
    auto control = server::Client::Connect(server.address());
    ASSERT_TRUE(control.ok()) << control.error();
    auto started = (*control)->Call({{"StartActor", {{"manifest", testing::MessengerManifest()}}}});
    ASSERT_TRUE(started.ok() && started->contains("ActorStarted")) << (started.ok() ? started->dump() : started.error());
    actor = (*started)["ActorStarted"]["id"];

    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t) {
      senders.emplace_back([&, t] {
        auto client = server::Client::Connect(server.address());
        if (!client.ok()) return;
        for (int i = t; !stop; i += 4) {
          auto r = (*client)->Call(
              {{"SendActorMessage", {{"id", actor}, {"data", "durable-" + std::to_string(i) + ";"}, {"durable", true}}}});
          if (!r.ok()) return;  // the server is gone
          if (r->contains("SentMessage") && (*r)["SentMessage"].value("durable", false)) {
            std::lock_guard lock(mu);
            acknowledged.insert(i);
          } else {
            ADD_FAILURE() << r->dump();
            return;
          }
        }
      });
    }
    // Let a few hundred go through, then kill the server in the middle of the stream.
    testing::WaitUntil([&] {
      std::lock_guard lock(mu);
      return acknowledged.size() >= 200;
    });
    EXPECT_EQ(server.process().Signal(SIGKILL), 128 + SIGKILL);
    stop = true;
    for (auto& s : senders) s.join();
  }
  ASSERT_GE(acknowledged.size(), 200u);

  // Everything acknowledged is in the chain, which verifies.
  std::vector<ChainEvent> events;
  VerifyReport report = VerifyChainFile(data / "chains" / (actor + ".chain"), &events);
  ASSERT_TRUE(report.ok) << report.reason;
  std::set<int> recorded;
  for (const ChainEvent& e : events) {
    if (e.type != "wasm/call") continue;
    std::string text = ToString(e.data);
    for (size_t at = text.find("durable-"); at != std::string::npos; at = text.find("durable-", at + 1))
      recorded.insert(std::atoi(text.c_str() + at + 8));
  }
  std::vector<int> lost;
  for (int i : acknowledged)
    if (!recorded.count(i)) lost.push_back(i);
  EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged messages are not in the chain, the first " << lost.front();

  // The server brings the actor back; no message is handled twice.
  TheaterServer again(data);
  ASSERT_FALSE(again.address().empty()) << again.LogText();
  auto client = server::Client::Connect(again.address());
  ASSERT_TRUE(client.ok());
  auto transcript = (*client)->Call({{"RequestActorMessage", {{"id", actor}, {"data", "transcript"}}}});
  ASSERT_TRUE(transcript.ok() && transcript->contains("RequestedMessage")) << transcript->dump();
  std::string text;
  for (const json& b : (*transcript)["RequestedMessage"]["message"]) text.push_back(static_cast<char>(b.get<int>()));
  std::multiset<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.insert(text.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& line : lines) EXPECT_EQ(lines.count(line), 1u) << line;
  for (int i : acknowledged) EXPECT_TRUE(text.find("durable-" + std::to_string(i) + ";") != std::string::npos) << i;
}

}  // namespace
}  // namespace theater
