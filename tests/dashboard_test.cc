// The dashboard's server side (server/dashboard.h): the page over HTTP, the management
// protocol over a WebSocket, and what a hostile web client or page cannot do. The page
// itself is tested in a real browser (tests/dashboard/dashboard_test.mjs).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <random>

#include "common/embedded_files.h"
#include "common/files.h"
#include "server/dashboard.h"
#include "server/websocket.h"
#include "server_test_util.h"

namespace theater::testing {
namespace {

namespace ws = server::websocket;

// A plain TCP client with a receive timeout: what a browser (or an attacker) sends.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(std::string_view bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // Reads until the peer closes (or the timeout): an HTTP answer with Connection: close.
  std::string ReadAll() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // True when the peer closes without sending anything before the receive timeout (5 s).
  bool ClosedByPeer() {
    char byte;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }
  // Reads until `text` has arrived; what came after it stays in `rest_`.
  std::string ReadUntil(const std::string& text) {
    char buf[4096];
    while (rest_.find(text) == std::string::npos) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      rest_.append(buf, static_cast<size_t>(n));
    }
    size_t end = rest_.find(text);
    if (end == std::string::npos) return std::exchange(rest_, std::string());
    std::string head = rest_.substr(0, end + text.size());
    rest_.erase(0, end + text.size());
    return head;
  }
  // The next server frame: {opcode, payload}; opcode 0xFF when the connection ended.
  std::pair<uint8_t, std::string> ReadFrame() {
    auto need = [&](size_t n) {
      char buf[65536];
      while (rest_.size() < n) {
        ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
        if (got <= 0) return false;
        rest_.append(buf, static_cast<size_t>(got));
      }
      return true;
    };
    if (!need(2)) return {0xFF, ""};
    uint8_t opcode = rest_[0] & 0x0F;
    uint64_t len = static_cast<uint8_t>(rest_[1]) & 0x7F;
    size_t header = 2;
    if (len == 126 || len == 127) {
      size_t ext = len == 126 ? 2 : 8;
      if (!need(2 + ext)) return {0xFF, ""};
      len = 0;
      for (size_t i = 0; i < ext; ++i) len = len << 8 | static_cast<uint8_t>(rest_[2 + i]);
      header += ext;
    }
    if (!need(header + len)) return {0xFF, ""};
    std::string payload = rest_.substr(header, len);
    rest_.erase(0, header + len);
    return {opcode, payload};
  }
  // The next text frame, skipping others; null when the connection ends.
  json ReadJson() {
    for (;;) {
      auto [op, payload] = ReadFrame();
      if (op == 0xFF) return json();
      if (op == ws::kText) return json::parse(payload, nullptr, false);
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string rest_;
};

// A client's frame: masked, as RFC 6455 requires of clients.
std::string ClientFrame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>(uint64_t{payload.size()} >> shift));
  }
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ mask[i & 3]) : payload[i]);
  return f;
}

std::string_view Embedded(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedFiles())
    if (f.path == path) return f.contents;
  return {};
}

class DashboardTest : public ServerTest {
 protected:
  void StartDashboard(const std::string& token = "") {
    StartServer([&](server::ServerOptions& o) {
      o.http_listen = "127.0.0.1:0";
      o.auth_token = token;
    });
    ASSERT_FALSE(server_->http_address().empty());
    http_port_ = static_cast<uint16_t>(std::stoi(server_->http_address().substr(server_->http_address().rfind(':') + 1)));
  }

  std::string Get(const std::string& path, const std::string& extra_headers = "", const std::string& method = "GET") {
    RawSocket s(http_port_);
    EXPECT_TRUE(s.connected());
    s.Send(method + " " + path + " HTTP/1.1\r\nHost: " + server_->http_address() + "\r\n" + extra_headers + "\r\n");
    return s.ReadAll();
  }

  static std::string Handshake(const std::string& host, const std::string& origin) {
    return "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           (origin.empty() ? "" : "Origin: " + origin + "\r\n") + "\r\n";
  }

  // A WebSocket to the dashboard, upgraded; the 101 response is checked.
  std::unique_ptr<RawSocket> OpenWebSocket() {
    auto s = std::make_unique<RawSocket>(http_port_);
    s->Send(Handshake(server_->http_address(), "http://" + server_->http_address()));
    std::string head = s->ReadUntil("\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
    // RFC 6455's own example key and answer.
    EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << head;
    return s;
  }

  uint16_t http_port_ = 0;
};

TEST(WebSocket, AcceptKeyIsTheRfcExample) {
  EXPECT_EQ(ws::AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(ws::ValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(ws::ValidClientKey("c2hvcnQ="));  // 5 bytes, not 16
  EXPECT_FALSE(ws::ValidClientKey("not base64!"));
}

TEST(WebSocket, ClientHeadersAreCheckedBeforeTheyAreTrusted) {
  size_t need = 0;
  auto header = [&](std::string bytes) {
    return ws::ReadClientHeader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &need);
  };
  std::string frame = ClientFrame(ws::kText, std::string(300, 'x'));
  auto partial = header(frame.substr(0, 2));
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(*partial);
  EXPECT_EQ(need, 8u);  // 2 + 16-bit length + mask
  auto whole = header(frame.substr(0, 8));
  ASSERT_TRUE(whole.ok() && *whole);
  EXPECT_EQ((*whole)->length, 300u);
  EXPECT_FALSE(header(ClientFrame(ws::kText, "hi", true, /*masked=*/false)).ok());
  EXPECT_FALSE(header(ClientFrame(ws::kPing, "hi", /*fin=*/false)).ok());  // a fragmented control frame
  EXPECT_FALSE(header(ClientFrame(0x3, "")).ok());                        // a reserved opcode
  std::string rsv = ClientFrame(ws::kText, "hi");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  EXPECT_FALSE(header(rsv).ok());
  std::string long_form = "\x81\xFE";  // 16-bit length 5: not the shortest form
  long_form += std::string("\x00\x05\x00\x00\x00\x00", 6);
  EXPECT_FALSE(header(long_form).ok());
}

TEST_F(DashboardTest, ServesThePageCompiledInWithAStrictPolicy) {
  StartDashboard();
  for (auto [url, file, type] : {std::tuple{"/", "web/index.html", "text/html"},
                                 std::tuple{"/app.js", "web/app.js", "text/javascript"},
                                 std::tuple{"/style.css", "web/style.css", "text/css"}}) {
    std::string r = Get(url);
    ASSERT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << url << ": " << r.substr(0, 200);
    EXPECT_NE(r.find(std::string("Content-Type: ") + type), std::string::npos) << url;
    EXPECT_NE(r.find("Content-Security-Policy: default-src 'self'"), std::string::npos) << url;
    EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos) << url;
    std::string_view body = Embedded(file);
    ASSERT_FALSE(body.empty()) << file << " is not compiled in";
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), body) << url;
  }
  EXPECT_EQ(Get("/../../etc/passwd").rfind("HTTP/1.1 404 ", 0), 0u);
  EXPECT_EQ(Get("/web/index.html").rfind("HTTP/1.1 404 ", 0), 0u);
  EXPECT_EQ(Get("/", "", "POST").rfind("HTTP/1.1 405 ", 0), 0u);
  EXPECT_EQ(Get("/", "Content-Length: 5\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
}

TEST_F(DashboardTest, RefusesOtherSitesPagesAndNames) {
  StartDashboard();
  // DNS rebinding: a name that is not an IP address or localhost.
  {
    RawSocket s(http_port_);
    s.Send("GET / HTTP/1.1\r\nHost: evil.example:" + std::to_string(http_port_) + "\r\n\r\n");
    EXPECT_EQ(s.ReadAll().rfind("HTTP/1.1 421 ", 0), 0u);
  }
  {
    RawSocket s(http_port_);
    s.Send("GET / HTTP/1.1\r\nHost: localhost:" + std::to_string(http_port_) + "\r\n\r\n");
    EXPECT_EQ(s.ReadAll().rfind("HTTP/1.1 200 ", 0), 0u);
  }
  // Cross-site WebSocket hijacking: another page's script opening the WebSocket.
  {
    RawSocket s(http_port_);
    s.Send(Handshake(server_->http_address(), "http://evil.example"));
    EXPECT_EQ(s.ReadAll().rfind("HTTP/1.1 403 ", 0), 0u);
  }
  {
    RawSocket s(http_port_);  // not a WebSocket request at all
    s.Send("GET /ws HTTP/1.1\r\nHost: " + server_->http_address() + "\r\n\r\n");
    EXPECT_EQ(s.ReadAll().rfind("HTTP/1.1 426 ", 0), 0u);
  }
  {
    RawSocket s(http_port_);  // a head over the limit
    s.Send("GET / HTTP/1.1\r\nHost: " + server_->http_address() + "\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
    std::string r = s.ReadAll();
    EXPECT_TRUE(r.rfind("HTTP/1.1 400 ", 0) == 0 || r.rfind("HTTP/1.1 431 ", 0) == 0) << r.substr(0, 100);
  }
  {
    RawSocket s(http_port_);
    s.Send("this is not HTTP\r\n\r\n");
    EXPECT_EQ(s.ReadAll().rfind("HTTP/1.1 400 ", 0), 0u);
  }
}

TEST_F(DashboardTest, HalfOpenRequestsAreBounded) {
  StartDashboard();
  // Clients that connect and send nothing hold a slot each until the 10 s deadline; past
  // the limit a new one is let go at once, and the others still answer once they speak.
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (size_t i = 0; i < server::Dashboard::kMaxExchanges; ++i) idle.push_back(std::make_unique<RawSocket>(http_port_));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // all accepted, even on a busy machine
  RawSocket extra(http_port_);
  EXPECT_TRUE(extra.ClosedByPeer());  // at once, without a word (an accepted one waits 10 s)
  idle.front()->Send("GET /style.css HTTP/1.1\r\nHost: " + server_->http_address() + "\r\n\r\n");
  EXPECT_EQ(idle.front()->ReadAll().rfind("HTTP/1.1 200 ", 0), 0u);
  idle.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Get("/").rfind("HTTP/1.1 200 ", 0), 0u);
}

TEST_F(DashboardTest, AWebSocketSpeaksTheManagementProtocol) {
  StartDashboard();
  auto s = OpenWebSocket();
  s->Send(ClientFrame(ws::kText, R"({"GetServerInfo":{}})"));
  json info = s->ReadJson();
  ASSERT_TRUE(info.contains("ServerInfo")) << info.dump();
  EXPECT_EQ(info["ServerInfo"]["http"], server_->http_address());
  EXPECT_EQ(info["ServerInfo"]["listen"], Address());
  // A message in fragments is one command; a ping between them is answered at once.
  s->Send(ClientFrame(ws::kText, R"({"StartActor":{"manif)", /*fin=*/false));
  s->Send(ClientFrame(ws::kPing, "are you there"));
  auto [op, payload] = s->ReadFrame();
  EXPECT_EQ(op, ws::kPong);
  EXPECT_EQ(payload, "are you there");
  s->Send(ClientFrame(ws::kContinuation, "est\":" + json(MessengerManifest()).dump() + "}}"));
  json started = s->ReadJson();
  ASSERT_TRUE(started.contains("ActorStarted")) << started.dump();
  std::string id = started["ActorStarted"]["id"];
  s->Send(ClientFrame(ws::kText, json{{"SetBytesEncoding", {{"encoding", "base64"}}}}.dump()));
  EXPECT_TRUE(s->ReadJson().contains("BytesEncoding"));
  s->Send(ClientFrame(ws::kText, json{{"RequestActorMessage", {{"id", id}, {"data", "echo hi"}}}}.dump()));
  json answer = s->ReadJson();
  ASSERT_TRUE(answer.contains("RequestedMessage")) << answer.dump();
  EXPECT_TRUE(answer["RequestedMessage"]["message"].contains("base64"));
  // A close is answered with a close, and the connection ends.
  s->Send(ClientFrame(ws::kClose, std::string("\x03\xe8", 2)));
  auto [close_op, close_payload] = s->ReadFrame();
  EXPECT_EQ(close_op, ws::kClose);
  EXPECT_EQ(s->ReadFrame().first, 0xFF);
}

TEST_F(DashboardTest, ABrokenWebSocketFrameClosesOnlyItsConnection) {
  StartDashboard();
  {
    auto s = OpenWebSocket();
    s->Send(ClientFrame(ws::kText, R"("ListActors")", true, /*masked=*/false));
    json error = s->ReadJson();
    EXPECT_TRUE(error.contains("Error")) << error.dump();
    auto [op, payload] = s->ReadFrame();
    ASSERT_EQ(op, ws::kClose);
    ASSERT_GE(payload.size(), 2u);
    EXPECT_EQ((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]), ws::kCloseProtocolError);
  }
  {
    auto s = OpenWebSocket();  // a continuation with nothing to continue
    s->Send(ClientFrame(ws::kContinuation, "x"));
    EXPECT_EQ(s->ReadFrame().first, ws::kClose);
  }
  auto s = OpenWebSocket();  // the server goes on
  s->Send(ClientFrame(ws::kText, R"("ListActors")"));
  EXPECT_TRUE(s->ReadJson().contains("ActorList"));
}

TEST_F(DashboardTest, AFrameArrivingByteByByteIsStillOneCommand) {
  StartDashboard();
  auto s = OpenWebSocket();
  // A 16-bit length and its mask arrive in pieces: the header's size is learnt as it comes.
  std::string frame = ClientFrame(ws::kText, json{{"GetActorEvents", {{"id", std::string(200, 'x')}}}}.dump());
  for (char byte : frame) {
    s->Send(std::string_view(&byte, 1));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  json error = s->ReadJson();
  EXPECT_EQ(error["Error"]["kind"], "ActorNotFound") << error.dump();
}

TEST_F(DashboardTest, RandomBytesAfterTheUpgradeHarmOnlyTheirConnection) {
  StartDashboard();
  std::mt19937 random(1);  // fixed: a failure can be replayed
  for (int round = 0; round < 60; ++round) {
    auto s = OpenWebSocket();
    std::string junk(1 + random() % 400, '\0');
    for (char& b : junk) b = static_cast<char>(random());
    if (round % 2) junk[1] = static_cast<char>(junk[1] | 0x80);  // masked: past the first check
    s->Send(junk);
  }
  auto s = OpenWebSocket();
  s->Send(ClientFrame(ws::kText, R"("GetServerInfo")"));
  json info = s->ReadJson();
  ASSERT_TRUE(info.contains("ServerInfo")) << info.dump();
}

TEST_F(DashboardTest, TheTokenAndFrameLimitsApplyToWebSockets) {
  StartDashboard("s3cret");
  {
    auto s = OpenWebSocket();  // a large frame before authenticating: refused from its header
    s->Send(ClientFrame(ws::kText, std::string(100 << 10, ' ')).substr(0, 14));
    json error = s->ReadJson();
    EXPECT_EQ(error["Error"]["kind"], "FrameTooLarge") << error.dump();
    auto [op, payload] = s->ReadFrame();
    EXPECT_EQ(op, ws::kClose);
  }
  {
    auto s = OpenWebSocket();
    s->Send(ClientFrame(ws::kText, R"("ListActors")"));
    json error = s->ReadJson();
    EXPECT_EQ(error["Error"]["kind"], "Unauthorized") << error.dump();
  }
  auto s = OpenWebSocket();
  s->Send(ClientFrame(ws::kText, R"({"Authenticate":{"token":"s3cret"}})"));
  EXPECT_TRUE(s->ReadJson().contains("Authenticated"));
  s->Send(ClientFrame(ws::kText, R"("ListActors")"));
  EXPECT_TRUE(s->ReadJson().contains("ActorList"));
}

TEST_F(DashboardTest, BeyondLoopbackTheDashboardNeedsAToken) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.http_listen = "0.0.0.0:0";
  options.data_dir = dir_.path();
  auto s = server::Server::Create(options);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("--http 0.0.0.0:0 is not a loopback address"), std::string::npos) << s.error();
  options.http_listen = "127.0.0.1:99999";
  s = server::Server::Create(options);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("--http 127.0.0.1:99999"), std::string::npos) << s.error();
}

TEST_F(DashboardTest, WatchersHearEveryActorsLifecycle) {
  StartServer();
  auto watcher = Connect();
  auto client = Connect();
  Expect(*watcher, "WatchActors", "Watching");
  std::string id = StartMessenger(*client);
  json changed = WaitFor(*watcher, "ActorChanged");
  ASSERT_EQ(changed.value("id", ""), id) << changed.dump();
  EXPECT_EQ(changed["name"], "messenger");
  EXPECT_TRUE(changed.contains("mailbox") && changed.contains("failure") && changed.contains("events"));
  Expect(*client, {{"StopActor", {{"id", id}}}}, "ActorStopped");
  for (;;) {  // the stop's change (a start seen late may come first)
    changed = WaitFor(*watcher, "ActorChanged");
    ASSERT_FALSE(changed.is_null()) << "no ActorChanged for the stop";
    if (changed["status"] == "stopped") break;
  }
  EXPECT_EQ(changed["id"], id);
  // A watching connection is not idle: the stream it waits for keeps it.
  json list = Expect(*client, "ListActors", "ActorList");
  ASSERT_EQ(list["actors"].size(), 1u);
  EXPECT_TRUE(list["actors"][0].contains("mailbox"));
}

TEST_F(DashboardTest, VerifyFindAndReplayAnActorFromTheProtocol) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  EXPECT_EQ(Ask(*client, id, "echo one"), "one");
  json verified = Expect(*client, {{"VerifyActor", {{"id", id}}}}, "ActorVerified");
  EXPECT_EQ(verified["ok"], true) << verified.dump();
  EXPECT_GE(verified["events"].get<int>(), 3);
  json events = Expect(*client, {{"GetActorEvents", {{"id", id}, {"from", 1}, {"limit", 1}}}}, "ActorEvents");
  std::string hash = events["events"][0]["hash"];
  json found = Expect(*client, {{"FindEvent", {{"id", id}, {"hash", hash}}}}, "EventFound");
  EXPECT_EQ(found["seq"], 1);
  EXPECT_EQ(found["event"]["hash"], hash);
  EXPECT_EQ(ErrorKind(*client, {{"FindEvent", {{"id", id}, {"hash", "zz"}}}}), "InvalidCommand");
  EXPECT_EQ(ErrorKind(*client, {{"FindEvent", {{"id", id}, {"hash", std::string(64, '0')}}}}), "ActorError");
  EXPECT_EQ(ErrorKind(*client, {{"VerifyActor", {{"id", "nobody"}}}}), "ActorNotFound");
  json replayed = Expect(*client, {{"ReplayActor", {{"id", id}}}}, "ActorReplayed");
  EXPECT_EQ(replayed["identical"], true) << replayed.dump();
  EXPECT_GE(replayed["events"].get<int>(), 3);
  json manifest = Expect(*client, {{"GetActorManifest", {{"id", id}}}}, "ActorManifest");
  EXPECT_EQ(manifest["handlers"], json::array({"runtime", "message-server"}));
}

TEST_F(DashboardTest, AChainTamperedWithOnDiskFailsVerification) {
  StartServer();
  auto client = Connect();
  std::string id = StartMessenger(*client);
  EXPECT_EQ(Ask(*client, id, "echo one"), "one");
  json inspected = Expect(*client, {{"InspectActor", {{"id", id}}}}, "ActorInspection");
  std::filesystem::path chain = inspected["chain"].get<std::string>();
  auto bytes = ReadFile(chain, 1 << 20);
  ASSERT_TRUE(bytes.ok());
  std::string text = ToString(*bytes);
  size_t at = text.find("echo one");
  ASSERT_NE(at, std::string::npos);
  text[at] = 'E';
  ASSERT_TRUE(WriteFileAtomic(chain, ToBytes(text)).ok());
  json verified = Expect(*client, {{"VerifyActor", {{"id", id}}}}, "ActorVerified");
  EXPECT_EQ(verified["ok"], false) << verified.dump();
  EXPECT_FALSE(verified.value("reason", "").empty());
  EXPECT_EQ(ErrorKind(*client, {{"ReplayActor", {{"id", id}}}}), "ActorError");
}

// The dashboard found it: a running actor restarted after a failure was inspected with
// the old stop's reason, as if it had stopped. Its failure stays; its stop reason is empty.
TEST_F(DashboardTest, ARestartedActorIsInspectedAsRunningWithItsLastFailure) {
  StartServer();
  auto client = Connect();
  std::string manifest = std::string(THEATER_EXAMPLES) + "/supervision/supervisor.toml";
  std::string sup = Expect(*client, {{"StartActor", {{"manifest", manifest}}}}, "ActorStarted").value("id", "");
  EXPECT_NE(Ask(*client, sup, "job 2").find("2 squared is 4"), std::string::npos);
  EXPECT_NE(Ask(*client, sup, "job 3").find("could not do it"), std::string::npos);  // the worker crashed
  std::string worker;
  for (int i = 0; i < 100 && worker.empty(); ++i) {
    json list = Expect(*client, "ListActors", "ActorList");
    for (const json& a : list["actors"])
      if (a["restarts"] == 1 && a["status"] == "running") worker = a["id"];
    if (worker.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(worker.empty()) << "no worker was restarted: " << Expect(*client, "ListActors", "ActorList").dump();
  json inspected = Expect(*client, {{"InspectActor", {{"id", worker}}}}, "ActorInspection");
  EXPECT_EQ(inspected["status"], "running");
  EXPECT_EQ(inspected["stop_reason"], "");
  EXPECT_EQ(inspected["failure"]["kind"], "trap") << inspected["failure"].dump();
  json summary = Expect(*client, "ListActors", "ActorList");
  for (const json& a : summary["actors"])
    if (a["id"] == worker) {
      EXPECT_EQ(a["failure"]["kind"], "trap");
    }
}

}  // namespace
}  // namespace theater::testing
