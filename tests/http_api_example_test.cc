// examples/http-api as its README runs it: `theater server`, `theater start` the manifest,
// then curl against the JSON API; the list is the actor's state.
#include <gtest/gtest.h>

#include <regex>

#include "http_test_util.h"
#include "process_util.h"

namespace theater {
namespace {

using testing::Curl;
using testing::Example;
using testing::HttpResult;
using testing::Listening;
using testing::TheaterServer;

class HttpApiExampleTest : public ::testing::Test {
 protected:
  // `theater ARGS` against the server; stdout (and stderr).
  testing::CommandResult Theater(const std::string& args) {
    return testing::RunShell("THEATER_TOKEN= '" + std::string(THEATER_BINARY) + "' " + args + " --server " +
                             server_->address() + " 2>&1");
  }

  testing::TempDir dir_;
  std::unique_ptr<TheaterServer> server_;
};

TEST_F(HttpApiExampleTest, ServesTheTodoListFromTheCli) {
  server_ = std::make_unique<TheaterServer>(dir_.path() / "data", std::vector<std::string>{},
                                            std::vector<std::string>{"THEATER_TOKEN="});
  ASSERT_FALSE(server_->address().empty()) << server_->LogText();
  // Port 0 (any free one) instead of the manifest's 8080, so the test never collides.
  auto started = Theater("start " + Example("http-api/manifest.toml").string() + " --state '{\"port\": 0}'");
  std::smatch m;
  static const std::regex id_pattern("started\\s+([0-9a-f-]{36})");
  ASSERT_TRUE(std::regex_search(started.out, m, id_pattern)) << started.out;
  std::string id = m[1];
  auto asked = Theater("request " + id + " port");
  uint16_t port = static_cast<uint16_t>(std::atoi(asked.out.c_str()));
  ASSERT_GT(port, 0) << asked.out;

  EXPECT_EQ(Curl(port, "/health").body, "{\"status\":\"ok\",\"items\":0}");
  HttpResult created = Curl(port, "/items", "-X POST -H 'Content-Type: application/json' -d '{\"title\": \"buy milk\"}'");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "{\"id\":1,\"title\":\"buy milk\",\"done\":false}");
  EXPECT_NE(created.headers.find("Location: /items/1"), std::string::npos) << created.headers;
  EXPECT_EQ(Curl(port, "/items", "-X POST -d '{\"title\": \"say \\\"hi\\\"\"}'").status, 201);
  EXPECT_EQ(Curl(port, "/items/1", "-X PUT -d '{\"done\": true}'").body, "{\"id\":1,\"title\":\"buy milk\",\"done\":true}");
  EXPECT_EQ(Curl(port, "/items").body,
            "{\"items\":[{\"id\":1,\"title\":\"buy milk\",\"done\":true},{\"id\":2,\"title\":\"say \\\"hi\\\"\",\"done\":false}]}");
  HttpResult bad = Curl(port, "/items", "-X POST -d '{\"name\": 1}'");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "{\"error\":\"the body needs a \\\"title\\\" string: it is missing\"}");
  EXPECT_EQ(Curl(port, "/items/7").status, 404);
  EXPECT_EQ(Curl(port, "/items/2", "-X DELETE").body, "{\"deleted\":2}");
  EXPECT_EQ(Curl(port, "/items", "-X PATCH").status, 405);
  testing::WriteText(dir_.path() / "big.json", std::string(70000, 'a'));  // over max_request_bytes = 65536
  EXPECT_EQ(Curl(port, "/items", "-X POST --data-binary @" + (dir_.path() / "big.json").string()).status, 413);
  // The list is the actor's state.
  auto state = Theater("state " + id);
  EXPECT_NE(state.out.find("1 1 buy milk"), std::string::npos) << state.out;
  // Stopping the actor closes its server.
  EXPECT_EQ(Theater("stop " + id).exit_code, 0);
  EXPECT_TRUE(testing::WaitUntil([&] { return !Listening(port); }));
}

}  // namespace
}  // namespace theater
