// A Theater server in the test process, on a free loopback port, and clients for it.
#pragma once

#include <gtest/gtest.h>

#include <thread>

#include "server/client.h"
#include "server/server.h"
#include "test_util.h"

namespace theater::testing {

using server::json;

// Inline TOML for the messenger test actor (tests/guests/messenger.c).
inline std::string MessengerManifest(const std::string& name = "messenger") {
  return "name = \"" + name + "\"\nversion = \"0.1.0\"\ncomponent = \"" + Guest("messenger.wasm").string() +
         "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n";
}

class ServerTest : public ::testing::Test {
 protected:
  void TearDown() override { StopServer(); }

  void StartServer(const std::function<void(server::ServerOptions&)>& configure = {}) {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir_.path();
    options.system.workers = 2;
    options.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_.push_back(line);
    };
    if (configure) configure(options);
    auto s = server::Server::Create(options);
    ASSERT_TRUE(s.ok()) << s.error();
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->Run(); });
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
  }

  std::string Address() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<server::Client> Connect(const std::string& token = "") {
    auto c = server::Client::Connect(Address(), token);
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // The response to `command` (a failed call is a test failure and gives null).
  static json Call(server::Client& client, const json& command) {
    auto r = client.Call(command);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : json();
  }

  // The body of the response, which must be `tag`.
  static json Expect(server::Client& client, const json& command, const std::string& tag) {
    json r = Call(client, command);
    EXPECT_TRUE(r.contains(tag)) << command.dump() << " -> " << r.dump();
    return r.contains(tag) ? r[tag] : json();
  }

  // The kind of the Error response to `command`.
  static std::string ErrorKind(server::Client& client, const json& command) {
    json r = Call(client, command);
    EXPECT_TRUE(r.contains("Error")) << command.dump() << " -> " << r.dump();
    return r.contains("Error") ? r["Error"].value("kind", "") : "";
  }

  std::string StartMessenger(server::Client& client) {
    json body = Expect(client, {{"StartActor", {{"manifest", MessengerManifest()}}}}, "ActorStarted");
    return body.value("id", "");
  }

  static std::string AsText(const json& array) {
    std::string s;
    for (const auto& b : array) s.push_back(static_cast<char>(b.get<int>()));
    return s;
  }

  // The text of the response to request `text`, or "ERROR: kind".
  static std::string Ask(server::Client& client, const std::string& id, const std::string& text) {
    json r = Call(client, {{"RequestActorMessage", {{"id", id}, {"data", text}}}});
    if (r.contains("RequestedMessage")) return AsText(r["RequestedMessage"]["message"]);
    return "ERROR: " + (r.contains("Error") ? r["Error"].value("kind", "") + ": " + r["Error"].value("message", "") : r.dump());
  }

  // Reads stream messages until one tagged `tag` (others are skipped); null after `timeout`.
  static json WaitFor(server::Client& client, const std::string& tag,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto m = client.ReadMessage(left);
      if (!m.ok() || !*m) return json();
      if ((*m)->contains(tag)) return (**m)[tag];
    }
    return json();
  }

  bool LogContains(const std::string& text) {
    std::lock_guard lock(log_mu_);
    for (const auto& l : log_)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  TempDir dir_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace theater::testing
