// theater:simple/http-client (tests/guests/fetcher.c) against a real HTTP server on
// 127.0.0.1: round trips, every refusal (host, method, redirect, size, time), and replay
// without the server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "runtime/replay.h"
#include "system_test_util.h"

namespace theater {
namespace {

using testing::Guest;
using testing::SystemTest;
using Clock = std::chrono::steady_clock;

using testing::Data;

// A tiny HTTP/1.1 server: one request per connection, answers by path.
class TestServer {
 public:
  TestServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { Accept(); });
  }
  ~TestServer() { Stop(); }
  void Stop() {
    if (stop_.exchange(true)) return;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    accept_thread_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_.load(); }

 private:
  void Accept() {
    while (!stop_) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  static void Send(int fd, const std::string& s) { send(fd, s.data(), s.size(), MSG_NOSIGNAL); }
  void Serve(int fd) {
    std::string in;
    char buf[4096];
    size_t header_end;
    while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return (void)close(fd);
      in.append(buf, n);
    }
    std::string head = in.substr(0, header_end), lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0, cl = lower.find("content-length:");
    if (cl != std::string::npos) length = std::stoul(head.substr(cl + 15));
    while (in.size() < header_end + 4 + length) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, n);
    }
    ++requests_;
    std::string method = head.substr(0, head.find(' '));
    std::string path = head.substr(method.size() + 1, head.find(' ', method.size() + 1) - method.size() - 1);
    std::string body = in.substr(header_end + 4), test_header;
    size_t xt = lower.find("x-test:");
    if (xt != std::string::npos) test_header = head.substr(xt + 8, head.find("\r\n", xt) - xt - 8);
    auto reply = [&](const std::string& status, const std::string& headers, const std::string& content) {
      Send(fd, "HTTP/1.1 " + status + "\r\nConnection: close\r\nContent-Length: " + std::to_string(content.size()) +
                   "\r\n" + headers + "\r\n" + content);
    };
    if (path == "/echo") {
      reply("200 OK", "X-Method: " + method + "\r\nX-Got-Test: " + test_header + "\r\n", body.empty() ? "hello" : body);
    } else if (path == "/big") {
      Send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4000000\r\n\r\n");
      std::string chunk(64 * 1024, 'x');
      for (int i = 0; i < 61 && !stop_; ++i) Send(fd, chunk);
    } else if (path == "/hang") {
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else if (path == "/away") {
      reply("302 Found", "Location: http://localhost:" + std::to_string(port_) + "/echo\r\n", "");
    } else if (path == "/hop") {
      reply("302 Found", "Location: /echo\r\n", "");
    } else if (path == "/loop") {
      reply("302 Found", "Location: /loop\r\n", "");
    } else if (path == "/binary-header") {
      reply("200 OK", "X-Bin: a\xff\xfe" "b\r\n", "ok");
    } else {
      reply("404 Not Found", "", "no such path");
    }
    close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread accept_thread_;
  std::vector<std::thread> connections_;  // touched by the accept thread only, until Stop
};

class HttpClientTest : public SystemTest {
 protected:
  std::string SpawnFetcher(const std::string& settings = "allowed_hosts = [\"127.0.0.1\"]") {
    std::string text = "name = \"fetcher\"\nversion = \"1\"\ncomponent = \"" + Guest("fetcher.wasm").string() +
                       "\"\n[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"http-client\"\n" + settings +
                       "\n";
    auto m = ParseManifest(text, THEATER_FIXTURES, "fetcher.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return system_->Spawn(*m).value();
  }
  // The n-th send-http event's data.
  nlohmann::json Call(const std::string& id, size_t n = 0) {
    auto e = FindEvent(id, "theater:simple/http-client/send-http", n);
    EXPECT_TRUE(e);
    return e ? Data(*e) : nlohmann::json();
  }

  TestServer server_;
};

TEST_F(HttpClientTest, GetAndPostRoundTrip) {
  std::string f = SpawnFetcher();
  std::string got = Ask(f, "GET " + server_.Url("/echo"));
  EXPECT_EQ(got.substr(0, 4), "200\n") << got;
  EXPECT_NE(got.find("X-Method: GET\n"), std::string::npos) << got;
  EXPECT_NE(got.find("X-Got-Test: yes\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 7), "\n\nhello");
  got = Ask(f, "POST " + server_.Url("/echo") + " some body text");
  EXPECT_NE(got.find("X-Method: POST\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 16), "\n\nsome body text");
  // The response is in the chain: the "/done" event after the call.
  auto done = FindEvent(f, "theater:simple/http-client/send-http/done", 1);
  ASSERT_TRUE(done);
  auto body = Data(*done)["result"]["ok"]["body"];
  EXPECT_FALSE(body.is_null());
}

TEST_F(HttpClientTest, ForbiddenHostIsDeniedAndRecorded) {
  std::string f = SpawnFetcher();
  std::string url = "http://localhost:" + std::to_string(server_.port()) + "/echo";
  EXPECT_EQ(Ask(f, "GET " + url), "err: host `localhost` is not in allowed_hosts");
  EXPECT_EQ(Call(f)["denied"], "host `localhost` is not in allowed_hosts");
  EXPECT_EQ(server_.requests(), 0);
  // No allowed_hosts at all: nothing is allowed.
  std::string none = SpawnFetcher("");
  EXPECT_EQ(Ask(none, "GET " + server_.Url("/echo")), "err: host `127.0.0.1` is not in allowed_hosts");
  // Only http and https.
  EXPECT_EQ(Ask(f, "GET file:///etc/passwd"), "err: scheme `file` is not allowed (only http and https)");
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpClientTest, WildcardHosts) {
  std::string f = SpawnFetcher("allowed_hosts = [\"*.0.0.1\"]");
  EXPECT_EQ(Ask(f, "GET " + server_.Url("/echo")).substr(0, 3), "200");
  std::string g = SpawnFetcher("allowed_hosts = [\"*.127.0.0.1\"]");
  EXPECT_EQ(Ask(g, "GET " + server_.Url("/echo")), "err: host `127.0.0.1` is not in allowed_hosts");
}

TEST_F(HttpClientTest, ForbiddenMethodIsDenied) {
  std::string f = SpawnFetcher("allowed_hosts = [\"127.0.0.1\"]\nallowed_methods = [\"GET\"]");
  EXPECT_EQ(Ask(f, "POST " + server_.Url("/echo") + " x"), "err: method `POST` is not in allowed_methods");
  EXPECT_EQ(Call(f)["denied"], "method `POST` is not in allowed_methods");
  // Not a standard method: refused by default.
  std::string g = SpawnFetcher();
  EXPECT_EQ(Ask(g, "TRACE " + server_.Url("/echo")), "err: method `TRACE` is not in allowed_methods");
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpClientTest, HeaderWithCrLfIsRefused) {
  std::string f = SpawnFetcher();
  EXPECT_EQ(Ask(f, "crlf " + server_.Url("/echo")), "err: header `X-Test` has a bad name or a CR/LF");
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpClientTest, OversizedResponseIsCutOff) {
  std::string f = SpawnFetcher("allowed_hosts = [\"127.0.0.1\"]\nmax_response_bytes = 100000");
  EXPECT_EQ(Ask(f, "GET " + server_.Url("/big")), "err: response larger than max_response_bytes (100000)");
}

TEST_F(HttpClientTest, SlowServerTimesOutWithoutHoldingAWorker) {
  std::string f = SpawnFetcher("allowed_hosts = [\"127.0.0.1\"]\ntimeout_ms = 1000");
  auto start = Clock::now();
  auto slow = system_->Request(f, ToBytes("GET " + server_.Url("/hang")));
  // Meanwhile other actors are answered (2 workers; the waiting fetcher holds none).
  std::vector<std::future<RequestResult>> others;
  for (int i = 0; i < 3; ++i) others.push_back(system_->Request(SpawnFetcher(), ToBytes("GET " + server_.Url("/echo"))));
  for (auto& o : others) EXPECT_TRUE(o.get().ok);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(900));
  RequestResult r = slow.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NE(ToString(r.response).find("timed out"), std::string::npos) << ToString(r.response);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(990));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(4000));
}

TEST_F(HttpClientTest, RedirectsAreFollowedOnlyToAllowedHosts) {
  std::string f = SpawnFetcher();
  std::string got = Ask(f, "GET " + server_.Url("/hop"));
  EXPECT_EQ(got.substr(0, 4), "200\n") << got;
  EXPECT_EQ(got.substr(got.size() - 5), "hello");
  int before = server_.requests();
  got = Ask(f, "GET " + server_.Url("/away"));
  EXPECT_EQ(got, "err: redirect to `http://localhost:" + std::to_string(server_.port()) +
                     "/echo` refused: host `localhost` is not in allowed_hosts");
  EXPECT_EQ(server_.requests(), before + 1);  // the redirect target was never asked
}

TEST_F(HttpClientTest, RedirectLimit) {
  std::string f = SpawnFetcher("allowed_hosts = [\"127.0.0.1\"]\nmax_redirects = 3");
  EXPECT_EQ(Ask(f, "GET " + server_.Url("/loop")), "err: too many redirects (max_redirects is 3)");
  EXPECT_EQ(server_.requests(), 4);
}

TEST_F(HttpClientTest, NonUtf8HeaderIsSanitized) {
  std::string f = SpawnFetcher();
  std::string got = Ask(f, "GET " + server_.Url("/binary-header"));
  EXPECT_NE(got.find("X-Bin: a??b\n"), std::string::npos) << got;
}

TEST_F(HttpClientTest, ReplayIsIdenticalWithoutTheServer) {
  std::string f = SpawnFetcher();
  ASSERT_EQ(Ask(f, "GET " + server_.Url("/echo")).substr(0, 3), "200");
  ASSERT_EQ(Ask(f, "POST " + server_.Url("/hop") + " data").substr(0, 3), "200");
  ASSERT_EQ(Ask(f, "GET http://example.com/"), "err: host `example.com` is not in allowed_hosts");
  auto events = Events(f);
  int requests = server_.requests();
  server_.Stop();
  ReplayReport r = Replay(events, {});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.identical) << r.divergence->why;
  EXPECT_EQ(r.events, events.size());
  EXPECT_EQ(server_.requests(), requests);
}

}  // namespace
}  // namespace theater
