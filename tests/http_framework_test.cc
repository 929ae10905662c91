// theater:simple/http-framework with the http-handlers exports (tests/guests/http_probe.c):
// real servers on 127.0.0.1, talked to with curl, raw sockets and a Beast WebSocket client.
#include <utility>  // before Boost 1.74's asio (it uses std::exchange without it)

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "host/http_routing.h"
#include "http_test_util.h"
#include "runtime/permissions.h"
#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Connect;
using testing::Curl;
using testing::Guest;
using testing::HttpResult;
using testing::Listening;
using testing::RawExchange;
using testing::RunShell;
using testing::SystemTest;
using testing::WaitUntil;

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

using testing::Data;

TEST(HttpRoutingTest, PatternsAndTheMostSpecificRoute) {
  using namespace host::http;
  EXPECT_TRUE(PatternMatches("/items", "/items"));
  EXPECT_FALSE(PatternMatches("/items", "/items/1"));
  EXPECT_TRUE(PatternMatches("/items/{id}", "/items/1"));
  EXPECT_FALSE(PatternMatches("/items/{id}", "/items/"));
  EXPECT_TRUE(PatternMatches("/static/*", "/static"));
  EXPECT_TRUE(PatternMatches("/static/*", "/static/a/b"));
  EXPECT_FALSE(PatternMatches("/static/*", "/statics"));
  EXPECT_TRUE(PatternMatches("/*", "/anything"));
  Routing routing;
  routing.routes = {{1, "GET", "/*", 10}, {2, "GET", "/items/*", 11}, {3, "GET", "/items/{id}", 12},
                    {4, "GET", "/items/new", 13}, {5, "POST", "/items/new", 14}};
  EXPECT_EQ(ChooseRoute(routing, "GET", "/items/new").route->id, 4u);  // exact first
  EXPECT_EQ(ChooseRoute(routing, "GET", "/items/7").route->id, 3u);    // then {param}
  EXPECT_EQ(ChooseRoute(routing, "GET", "/items/7/x").route->id, 2u);  // then the longer prefix
  EXPECT_EQ(ChooseRoute(routing, "GET", "/other").route->id, 1u);
  RouteChoice none = ChooseRoute(routing, "DELETE", "/items/new");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_EQ(none.allowed, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(NormalizeMiddlewarePath("/api/").value(), "/api");
  EXPECT_EQ(NormalizeMiddlewarePath("/*").value(), "");
  EXPECT_TRUE(PrefixMatches("/api", "/api/x"));
  EXPECT_FALSE(PrefixMatches("/api", "/apix"));
  EXPECT_FALSE(ValidateRoutePattern("/a b").ok());
  EXPECT_FALSE(ValidateRoutePattern("/a?x").ok());
  EXPECT_FALSE(ValidateRoutePattern("/x{id}").ok());
  EXPECT_FALSE(ValidateRoutePattern(std::string(2000, '/')).ok());
  EXPECT_EQ(PathOf("/a/b?c=d#e"), "/a/b");
  EXPECT_EQ(QueryOf("/a?c=d#e"), "c=d");
  EXPECT_EQ(QueryOf("/a"), std::nullopt);
}

TEST(HttpFrameworkPermissionsTest, AChildGetsNoMoreThanItsParent) {
  auto manifest = [](const std::string& settings) {
    std::string text = "name = \"x\"\nversion = \"1\"\ncomponent = \"" + Guest("http-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"http-framework\"\n" + settings + "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "x.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return *m;
  };
  Permissions parent = Permissions::FromManifest(manifest("max_connections = 10\ntls_dir = \"/certs\""));
  EXPECT_TRUE(Permissions::ForChild(parent, {}, manifest("max_connections = 5\ntls_dir = \"/certs/a\"")).ok());
  auto more = Permissions::ForChild(parent, {}, manifest("max_connections = 50"));
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().find("max_connections"), std::string::npos) << more.error();
  auto any_host = Permissions::ForChild(parent, {}, manifest("bind_any_host = true"));
  ASSERT_FALSE(any_host.ok());
  EXPECT_NE(any_host.error().find("bind_any_host"), std::string::npos) << any_host.error();
  auto elsewhere = Permissions::ForChild(parent, {}, manifest("tls_dir = \"/etc\""));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.error().find("outside the parent"), std::string::npos) << elsewhere.error();
}

class HttpFrameworkTest : public SystemTest {
 protected:
  // An http_probe actor; `settings` go into its http-framework handler table.
  std::string SpawnProbe(const std::string& settings = "") {
    std::string text = "name = \"http-probe\"\nversion = \"1\"\ncomponent = \"" + Guest("http-probe.wasm").string() +
                       "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n"
                       "[[handler]]\ntype = \"http-framework\"\n" + settings + "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "http-probe.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return system_->Spawn(*m).value();
  }

  // "serve": the server id and its port.
  std::pair<uint64_t, uint16_t> Serve(const std::string& actor) {
    std::string answer = Ask(actor, "serve");
    uint64_t server = 0;
    unsigned port = 0;
    EXPECT_EQ(std::sscanf(answer.c_str(), "%lu %u", &server, &port), 2) << answer;
    return {server, static_cast<uint16_t>(port)};
  }

  // The data of every event of `type`.
  std::vector<nlohmann::json> All(const std::string& actor, const std::string& type) {
    std::vector<nlohmann::json> out;
    for (const auto& e : Events(actor))
      if (e.type == type) out.push_back(Data(e));
    return out;
  }
};

TEST_F(HttpFrameworkTest, RoutesAnswerRequestsAndEachIsRecorded) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  ASSERT_GT(port, 0);
  HttpResult hello = Curl(port, "/hello");
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, "hello");
  EXPECT_NE(hello.headers.find("Content-Type: text/plain"), std::string::npos) << hello.headers;
  HttpResult echo = Curl(port, "/echo", "-X POST --data-binary 'some body'");
  EXPECT_EQ(echo.status, 200);
  EXPECT_EQ(echo.body, "some body");
  EXPECT_NE(echo.headers.find("X-Method: POST"), std::string::npos) << echo.headers;
  // curl asks for "100 Continue" before a body over 1 KiB, and gets it at once (not after
  // its 1 s wait).
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(Curl(port, "/echo", "-X POST --data-binary " + std::string(4000, 'b')).body, std::string(4000, 'b'));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(900));
  EXPECT_EQ(Curl(port, "/items/42?full=1").body, "/items/42?full=1");  // {id} segment; the query reaches the actor
  EXPECT_EQ(Curl(port, "/items").status, 404);                         // {id} needs a segment
  EXPECT_EQ(Curl(port, "/static/css/site.css").body, "/static/css/site.css");
  EXPECT_EQ(Curl(port, "/any", "-X DELETE").status, 200);  // method *
  HttpResult missing = Curl(port, "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "no route for /nowhere\n");
  HttpResult wrong_method = Curl(port, "/hello", "-X PUT");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_NE(wrong_method.headers.find("Allow: GET"), std::string::npos) << wrong_method.headers;
  // HEAD is answered by the GET route, without the body.
  HttpResult head = Curl(port, "/hello", "-I");
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.headers.find("Content-Length: 5"), std::string::npos) << head.headers;
  EXPECT_EQ(Curl(port, "/hello").body, "hello");  // the connection after it is not confused
  // State changes made while answering are kept.
  EXPECT_EQ(Curl(port, "/count").body, "1");
  EXPECT_EQ(Curl(port, "/count").body, "2");

  // The host calls and each request (parameters and answer) are in the chain.
  auto started = FindEvent(actor, "theater:simple/http-framework/start-server");
  ASSERT_TRUE(started);
  EXPECT_EQ(Data(*started)["result"]["ok"], port);
  bool saw_echo = false;
  for (const auto& call : All(actor, "wasm/call")) {
    if (call["function"] != "theater:simple/http-handlers#handle-request") continue;
    const auto& request = call["params"][1];
    if (request["uri"] == "/echo" && request["method"] == "POST") saw_echo = true;
  }
  EXPECT_TRUE(saw_echo);
  // 404 and 405 were answered by the host: the actor was not called for them.
  for (const auto& call : All(actor, "wasm/call"))
    if (call["function"] == "theater:simple/http-handlers#handle-request") {
      EXPECT_NE(call["params"][1]["uri"], "/nowhere");
    }
}

TEST_F(HttpFrameworkTest, MiddlewareRefusesOrRewritesRequests) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  HttpResult refused = Curl(port, "/private/data");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body, "the request was refused by middleware\n");
  EXPECT_EQ(Curl(port, "/private/data", "-H 'x-token: secret'").status, 200);
  // /old/... is rewritten to /headers, with a header added, before routing.
  HttpResult rewritten = Curl(port, "/old/page");
  EXPECT_EQ(rewritten.status, 200);
  EXPECT_EQ(rewritten.body, "by-middleware");
  EXPECT_EQ(Curl(port, "/headers").body, "(none)");
  // Middleware is matched on whole segments: /privateer is not under /private.
  EXPECT_EQ(Curl(port, "/privateer").status, 404);
  EXPECT_FALSE(All(actor, "wasm/call").empty());
  bool middleware_recorded = false;
  for (const auto& call : All(actor, "wasm/call"))
    middleware_recorded |= call["function"] == "theater:simple/http-handlers#handle-middleware";
  EXPECT_TRUE(middleware_recorded);
  // Removed middleware no longer runs.
  EXPECT_EQ(Ask(actor, "unmw 1"), "ok");
  EXPECT_EQ(Curl(port, "/private/data").status, 200);
  EXPECT_EQ(Ask(actor, "unmw 1"), "err: no middleware 1");
}

TEST_F(HttpFrameworkTest, RequestLargerThanTheLimitGets413) {
  std::string actor = SpawnProbe("max_request_bytes = 1000");
  auto [server, port] = Serve(actor);
  EXPECT_EQ(Curl(port, "/echo", "-X POST --data-binary " + std::string(900, 'a')).status, 200);
  HttpResult big = Curl(port, "/echo", "-X POST --data-binary " + std::string(5000, 'a'));
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("max_request_bytes (1000 bytes)"), std::string::npos) << big.body;
  // A client that sends its body at once (no Expect: 100-continue) reads the 413 too.
  std::string raw = RawExchange(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n" +
                                          std::string(50000, 'z'));
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 Payload Too Large", 0), 0u) << raw.substr(0, 100);
  // Headers are limited too (431), and garbage is a 400: the server goes on.
  EXPECT_EQ(Curl(port, "/hello", "-H 'x-big: " + std::string(20000, 'h') + "'").status, 431);
  EXPECT_NE(RawExchange(port, "NOT HTTP AT ALL\r\n\r\n").find("400 Bad Request"), std::string::npos);
  EXPECT_EQ(Curl(port, "/hello").status, 200);
}

TEST_F(HttpFrameworkTest, ConnectionsBeyondTheLimitGet503) {
  std::string actor = SpawnProbe("max_connections = 2");
  auto [server, port] = Serve(actor);
  int a = Connect(port), b = Connect(port);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // both accepted
  HttpResult third = Curl(port, "/hello");
  EXPECT_EQ(third.status, 503);
  EXPECT_NE(third.body.find("max_connections (2)"), std::string::npos) << third.body;
  ::close(a);
  ::close(b);
  EXPECT_TRUE(WaitUntil([&] { return Curl(port, "/hello").status == 200; }));
}

TEST_F(HttpFrameworkTest, AFloodOfConnectionsIsShedAndTheServerRecovers) {
  std::string actor = SpawnProbe("max_connections = 4");
  auto [server, port] = Serve(actor);
  std::vector<int> fds;
  for (int i = 0; i < 60; ++i) fds.push_back(Connect(port));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // 4 connections are served and 4 more wait to be told 503; the rest are closed at once.
  int closed = 0;
  for (int fd : fds) {
    ASSERT_GE(fd, 0);
    char c;
    if (::recv(fd, &c, 1, MSG_DONTWAIT) == 0) ++closed;
  }
  EXPECT_GE(closed, 50);
  for (int fd : fds) ::close(fd);
  EXPECT_TRUE(WaitUntil([&] { return Curl(port, "/hello").status == 200; }));
}

TEST_F(HttpFrameworkTest, SlowClientIsCutOffByTheHeaderTimeout) {
  std::string actor = SpawnProbe("header_timeout_ms = 300");
  auto [server, port] = Serve(actor);
  int fd = Connect(port);
  ASSERT_GE(fd, 0);
  (void)!::write(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n", 30);  // never finishes its headers
  auto start = std::chrono::steady_clock::now();
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof buf);  // closed by the server
  EXPECT_LE(n, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ::close(fd);
}

TEST_F(HttpFrameworkTest, AnActorTooSlowToAnswerGets504) {
  std::string actor = SpawnProbe("request_timeout_ms = 40");
  auto [server, port] = Serve(actor);
  auto start = std::chrono::steady_clock::now();
  HttpResult slow = Curl(port, "/spin");  // busy for longer than 40 ms
  EXPECT_EQ(slow.status, 504);
  EXPECT_EQ(slow.body, "the actor did not answer within 40 ms\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Its late answer is dropped; the server and the actor go on.
  auto handled = [&] {
    int n = 0;
    for (const auto& result : All(actor, "wasm/result"))
      n += result["function"] == "theater:simple/http-handlers#handle-request";
    return n;
  };
  EXPECT_TRUE(WaitUntil([&] { return handled() == 1; }));
  EXPECT_TRUE(WaitUntil([&] { return Curl(port, "/hello").body == "hello"; }));  // (40 ms is short on a busy machine)
}

class HttpFrameworkSmallMailboxTest : public HttpFrameworkTest {
 protected:
  void Configure(SystemOptions& options) override { options.mailbox_capacity = 2; }
};

TEST_F(HttpFrameworkSmallMailboxTest, RequestsBeyondAFullMailboxGet503) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  // While the actor is busy with /spin, 8 requests at once: 2 wait in its mailbox, the rest
  // are told it is busy.
  std::string out = dir_.path().string();
  RunShell("(curl -s -o /dev/null " + url + "/spin &); sleep 0.05; for i in 1 2 3 4 5 6 7 8; do curl -s -o " + out +
           "/body$i -w '%{http_code}' " + url + "/hello > " + out + "/code$i & done; wait");
  int busy = 0, served = 0;
  for (int i = 1; i <= 8; ++i) {
    std::string code = testing::FileText(dir_.path() / ("code" + std::to_string(i)));
    std::string body = testing::FileText(dir_.path() / ("body" + std::to_string(i)));
    if (code == "503" && body == "the actor is busy (its mailbox is full)\n") ++busy;
    if (code == "200" && body == "hello") ++served;
  }
  EXPECT_GE(busy, 4);   // at most 2 wait in the mailbox (and a few may come after the spin)
  EXPECT_GE(served, 1);
  EXPECT_EQ(busy + served, 8);
  EXPECT_TRUE(WaitUntil([&] { return Curl(port, "/hello").status == 200; }));
}

TEST_F(HttpFrameworkTest, HttpsWithACertificateFromTheTlsDir) {
  std::filesystem::path tls = dir_.path() / "tls";
  std::filesystem::create_directories(tls);
  auto made = RunShell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout '" +
                       (tls / "key.pem").string() + "' -out '" + (tls / "cert.pem").string() + "' 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  testing::WriteText(dir_.path() / "secret.pem", "not for actors");
  std::string actor = SpawnProbe("tls_dir = \"" + tls.string() + "\"");
  EXPECT_EQ(Ask(actor, "create-tls ../secret.pem key.pem"), "err: cert-path: `../secret.pem` is outside the tls_dir");
  EXPECT_EQ(Ask(actor, "create-tls " + (dir_.path() / "secret.pem").string() + " key.pem"),
            "err: cert-path: `" + (dir_.path() / "secret.pem").string() + "` is outside the tls_dir");
  EXPECT_EQ(Ask(actor, "create-tls cert.pem missing.pem").rfind("err: cannot use the private key", 0), 0u);
  ASSERT_EQ(Ask(actor, "create-tls cert.pem key.pem"), "1");
  ASSERT_EQ(Ask(actor, "route 1 GET /hello"), "1");
  uint16_t port = static_cast<uint16_t>(std::atoi(Ask(actor, "start 1").c_str()));
  ASSERT_GT(port, 0);
  auto https = RunShell("curl -sk --max-time 10 https://127.0.0.1:" + std::to_string(port) + "/hello");
  EXPECT_EQ(https.out, "hello");
  EXPECT_EQ(Curl(port, "/hello").status, 0);  // plain HTTP gets no answer from a TLS server
  EXPECT_EQ(RunShell("curl -sk --max-time 10 https://127.0.0.1:" + std::to_string(port) + "/hello").out, "hello");

  // WebSocket over TLS (wss).
  ASSERT_EQ(Ask(actor, "ws 1 /ws"), "ok");
  boost::asio::io_context io;
  boost::asio::ssl::context client_tls(boost::asio::ssl::context::tls_client);
  client_tls.set_verify_mode(boost::asio::ssl::verify_none);  // a self-signed test certificate
  websocket::stream<beast::ssl_stream<tcp::socket>> wss(io, client_tls);
  beast::error_code ec;
  beast::get_lowest_layer(wss).connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
  ASSERT_FALSE(ec) << ec.message();
  wss.next_layer().handshake(boost::asio::ssl::stream_base::client, ec);
  ASSERT_FALSE(ec) << ec.message();
  wss.handshake("127.0.0.1", "/ws", ec);
  ASSERT_FALSE(ec) << ec.message();
  wss.write(boost::asio::buffer(std::string("secure")), ec);
  beast::flat_buffer buffer;
  wss.read(buffer, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "echo: secure");
}

TEST_F(HttpFrameworkTest, AnyHostOnlyWhenTheManifestSaysSo) {
  std::string actor = SpawnProbe("bind_any_host = true");
  std::string id = Ask(actor, "create 0.0.0.0");
  ASSERT_EQ(id, "1");
  std::string port = Ask(actor, "start 1");
  ASSERT_GT(std::atoi(port.c_str()), 0) << port;
  EXPECT_EQ(Curl(static_cast<uint16_t>(std::atoi(port.c_str())), "/nowhere").status, 404);
  EXPECT_NE(Ask(actor, "info 1").find("host=0.0.0.0 running=1"), std::string::npos);
}

TEST_F(HttpFrameworkTest, InvalidResponsesAndNonUtf8RequestsAreRefused) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  HttpResult status = Curl(port, "/bad-status");
  EXPECT_EQ(status.status, 500);
  EXPECT_NE(status.body.find("status 700 is not between 100 and 599"), std::string::npos) << status.body;
  HttpResult header = Curl(port, "/bad-header");
  EXPECT_EQ(header.status, 500);
  EXPECT_EQ(header.headers.find("Injected"), std::string::npos) << header.headers;
  // A header value that is not UTF-8 never reaches the actor (the engine would refuse it).
  std::string reply = RawExchange(port, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Bad: caf\xe9\xff\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("400 Bad Request"), std::string::npos) << reply;
  reply = RawExchange(port, "GET /caf\xe9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("400 Bad Request"), std::string::npos) << reply;
  EXPECT_EQ(Curl(port, "/hello").status, 200);
}

TEST_F(HttpFrameworkTest, ActorThatTrapsGives500AndOnlyItsServersClose) {
  std::string failing = SpawnProbe(), other = SpawnProbe();
  auto [s1, port1] = Serve(failing);
  auto [s2, port2] = Serve(other);
  HttpResult trapped = Curl(port1, "/trap");
  EXPECT_EQ(trapped.status, 500);
  EXPECT_EQ(trapped.body, "the actor failed while handling the request\n");
  // A failed actor's instance is gone, and its servers with it; the host and the other
  // actor's server go on.
  EXPECT_TRUE(WaitStopped(failing));
  EXPECT_TRUE(WaitUntil([&] { return !Listening(port1); }));
  EXPECT_EQ(Curl(port2, "/hello").body, "hello");
}

TEST_F(HttpFrameworkTest, StopStartDestroyAndInfo) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  std::string id = std::to_string(server);
  EXPECT_EQ(Ask(actor, "info " + id), "id=" + id + " port=" + std::to_string(port) +
                                          " host=127.0.0.1 running=1 routes=12 middleware=2 websocket=1");
  EXPECT_EQ(Ask(actor, "stop " + id), "ok");
  EXPECT_FALSE(Listening(port));
  EXPECT_EQ(Curl(port, "/hello").status, 0);
  EXPECT_EQ(Ask(actor, "stop " + id), "err: server " + id + " is not running");
  EXPECT_NE(Ask(actor, "info " + id).find("running=0"), std::string::npos);
  EXPECT_EQ(Ask(actor, "start " + id), std::to_string(port));  // the same port again
  EXPECT_EQ(Curl(port, "/hello").body, "hello");
  // Routes come and go while it runs.
  std::string route = Ask(actor, "route " + id + " GET /late");
  EXPECT_EQ(Curl(port, "/late").body, "/late");
  EXPECT_EQ(Ask(actor, "unroute " + route), "ok");
  EXPECT_EQ(Curl(port, "/late").status, 404);
  EXPECT_EQ(Ask(actor, "destroy " + id), "ok");
  EXPECT_FALSE(Listening(port));
  EXPECT_EQ(Ask(actor, "info " + id), "err: no server " + id);
  EXPECT_EQ(Ask(actor, "destroy " + id), "err: no server " + id);
  EXPECT_EQ(Ask(actor, "unroute 1"), "err: no route 1");
}

TEST_F(HttpFrameworkTest, StoppingTheActorClosesItsServers) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  ASSERT_TRUE(Listening(port));
  ASSERT_TRUE(system_->Stop(actor).ok());
  EXPECT_TRUE(WaitStopped(actor));
  EXPECT_TRUE(WaitUntil([&] { return !Listening(port); }));
}

TEST_F(HttpFrameworkTest, RefusalsAreClearAndRecorded) {
  std::string actor = SpawnProbe("max_servers = 2");
  std::string denied = Ask(actor, "create 0.0.0.0");
  EXPECT_EQ(denied.rfind("err: binding to host `0.0.0.0` is not allowed", 0), 0u) << denied;
  auto event = FindEvent(actor, "theater:simple/http-framework/create-server");
  ASSERT_TRUE(event);
  EXPECT_TRUE(Data(*event).contains("denied"));
  EXPECT_EQ(Ask(actor, "create-tls cert.pem key.pem"),
            "err: TLS is not allowed: the http-framework handler has no tls_dir (the folder certificates and keys may "
            "be read from)");
  EXPECT_EQ(Ask(actor, "create"), "1");
  EXPECT_EQ(Ask(actor, "create localhost"), "2");
  EXPECT_EQ(Ask(actor, "create"), "err: this actor already has 2 servers (max_servers = 2)");
  EXPECT_EQ(Ask(actor, "route 1 GET nope"), "err: route path `nope`: a route path must start with `/`");
  EXPECT_EQ(Ask(actor, "route 1 GET /a/*/b"),
            "err: route path `/a/*/b`: `*` may only be the last segment of a route path (as in /static/*)");
  EXPECT_EQ(Ask(actor, "route 1 G@T /a"),
            "err: method `G@T`: an HTTP method holds only token characters (letters, digits, !#$%&'*+-.^_`|~)");
  EXPECT_EQ(Ask(actor, "route 9 GET /a"), "err: no server 9");
  EXPECT_EQ(Ask(actor, "route 1 get /a"), "1");
  EXPECT_EQ(Ask(actor, "route 1 GET /a"), "err: server 1 already has a route GET /a (route 1)");
  EXPECT_EQ(Ask(actor, "ws 1 /chat/{room}"), "err: websocket path `/chat/{room}`: it must be an exact path");
  EXPECT_EQ(Ask(actor, "send 1 7 hi"), "err: server 1 has no open WebSocket connection 7");
  EXPECT_EQ(Ask(actor, "close 1 7"), "err: server 1 has no open WebSocket connection 7");
  // Without the handler, nothing at all.
  std::string text = "name = \"no-http\"\nversion = \"1\"\ncomponent = \"" + Guest("http-probe.wasm").string() +
                     "\"\n[[handler]]\ntype = \"message-server\"\n";
  auto m = ParseManifest(text, THEATER_FIXTURES, "no-http.toml");
  ASSERT_TRUE(m.ok()) << m.error();
  auto id = system_->Spawn(*m);
  if (id.ok()) {
    EXPECT_NE(Ask(*id, "create").find("permission denied"), std::string::npos);
  }
}

// A blocking WebSocket client with a read timeout.
class WsClient {
 public:
  WsClient(uint16_t port, const std::string& path) : ws_(io_) {
    tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    beast::error_code ec;
    ws_.next_layer().connect(endpoint, ec);
    if (ec) return;
    timeval tv{5, 0};
    ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ws_.handshake("127.0.0.1", path, ec);
    ok_ = !ec;
  }
  bool ok() const { return ok_; }
  bool Send(const std::string& text) {
    beast::error_code ec;
    ws_.text(true);
    ws_.write(boost::asio::buffer(text), ec);
    return !ec;
  }
  // The next message, or nothing when the connection ended (or 5 s passed).
  std::optional<std::string> Read() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

 private:
  boost::asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  bool ok_ = false;
};

TEST_F(HttpFrameworkTest, WebSocketEchoPushAndClose) {
  std::string actor = SpawnProbe("max_request_bytes = 4096");
  auto [server, port] = Serve(actor);
  {
    WsClient client(port, "/ws?room=1");
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client.Send("hi"));
    EXPECT_EQ(client.Read(), "echo: hi");
    // The actor pushes on its own (send-websocket-message) to the connection it was told of.
    std::string events = Ask(actor, "events");
    std::string conn = events.substr(events.find("last=") + 5);
    EXPECT_EQ(Ask(actor, "send " + std::to_string(server) + " " + conn + " pushed"), "ok");
    EXPECT_EQ(client.Read(), "pushed");
    ASSERT_TRUE(client.Send("bye"));  // answered with a close
    EXPECT_EQ(client.Read(), std::nullopt);
  }
  EXPECT_TRUE(WaitUntil([&] { return Ask(actor, "events").find("disconnects=1") != std::string::npos; }));
  EXPECT_EQ(Ask(actor, "events").substr(0, 35), "connects=1 messages=2 disconnects=1");
  bool saw_connect = false;
  for (const auto& call : All(actor, "wasm/call"))
    if (call["function"] == "theater:simple/http-handlers#handle-websocket-connect") {
      saw_connect = true;
      EXPECT_EQ(call["params"][2], "/ws");
      EXPECT_EQ(call["params"][3]["some"], "room=1");
    }
  EXPECT_TRUE(saw_connect);
  {
    // Too large a message ends the connection; the server goes on.
    WsClient client(port, "/ws");
    ASSERT_TRUE(client.ok());
    client.Send(std::string(10000, 'x'));
    EXPECT_EQ(client.Read(), std::nullopt);
  }
  WsClient again(port, "/ws");
  ASSERT_TRUE(again.ok());
  again.Send("still");
  EXPECT_EQ(again.Read(), "echo: still");
  // Closing from the actor.
  std::string events = Ask(actor, "events");
  std::string conn = events.substr(events.find("last=") + 5);
  EXPECT_EQ(Ask(actor, "close " + std::to_string(server) + " " + conn), "ok");
  EXPECT_EQ(again.Read(), std::nullopt);
}

TEST_F(HttpFrameworkTest, OutgoingWebSocketMessagesAreLimitedToo) {
  std::string actor = SpawnProbe("max_request_bytes = 100");
  auto [server, port] = Serve(actor);
  WsClient client(port, "/ws");
  ASSERT_TRUE(client.ok());
  client.Send("x");
  EXPECT_EQ(client.Read(), "echo: x");
  std::string events = Ask(actor, "events");
  std::string conn = events.substr(events.find("last=") + 5);
  std::string answer = Ask(actor, "send " + std::to_string(server) + " " + conn + " " + std::string(300, 'y'));
  EXPECT_EQ(answer, "err: a WebSocket message of 300 bytes is larger than max_request_bytes (100)");
  bool denied = false;
  for (const auto& call : All(actor, "theater:simple/http-framework/send-websocket-message")) denied |= call.contains("denied");
  EXPECT_TRUE(denied);
  EXPECT_EQ(Ask(actor, "send " + std::to_string(server) + " " + conn + " small"), "ok");
  EXPECT_EQ(client.Read(), "small");
}

TEST_F(HttpFrameworkTest, ReplayIsIdenticalWithoutTheServer) {
  std::string actor = SpawnProbe();
  auto [server, port] = Serve(actor);
  EXPECT_EQ(Curl(port, "/count").body, "1");
  EXPECT_EQ(Curl(port, "/echo", "-X POST --data-binary payload").body, "payload");
  EXPECT_EQ(Curl(port, "/old/x").body, "by-middleware");
  {
    WsClient client(port, "/ws");
    ASSERT_TRUE(client.ok());
    client.Send("recorded");
    EXPECT_EQ(client.Read(), "echo: recorded");
  }
  EXPECT_TRUE(WaitUntil([&] { return Ask(actor, "events").find("disconnects=1") != std::string::npos; }));
  ASSERT_TRUE(system_->Stop(actor).ok());
  ASSERT_TRUE(WaitStopped(actor));
  ASSERT_TRUE(WaitUntil([&] { return !Listening(port); }));
  // The replay answers every host call from the chain: no server is started, no port opened.
  ReplayReport report = Replay(Events(actor), ReplayOptions{});
  EXPECT_TRUE(report.identical) << report.error << (report.divergence ? report.divergence->why : "");
  EXPECT_FALSE(Listening(port));
}

}  // namespace
}  // namespace theater
