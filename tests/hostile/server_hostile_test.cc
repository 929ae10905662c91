// A hostile client against the management server, before it authenticates or without a
// token at all (issue 12, items 1-5): each attack is run for real, over loopback sockets
// against a server in this process, and what it costs the server (memory, slots,
// parked work) is measured. Limits are set small so that each test takes a few seconds.
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "server/frame.h"
#include "tests/server_test_util.h"

namespace theater {
namespace {

using server::json;
using Clock = std::chrono::steady_clock;

// The resident memory of this process (server and clients) in MiB, after giving the
// allocator's free pages back, so that what is measured is what is held.
double RssMb() {
  malloc_trim(0);
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// A plain TCP client: sends exactly the bytes it is given, as slowly or as fast as the
// test wants, and never reads unless asked.
class RawSocket {
 public:
  // `receive_buffer`: a small kernel buffer, for a client that does not read.
  explicit RawSocket(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Hangs up at once, dropping whatever the kernel still holds to send (a reset).
  void Abort() {
    linger now{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &now, sizeof now);
    Close();
  }

  // All of `bytes`, blocking; false once the server has closed the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // `bytes` `times` over, as far as the server takes them before it stops taking any for
  // `patience`; how many bytes it took.
  size_t SendWhileTaken(std::string_view bytes, size_t times, std::chrono::milliseconds patience) {
    size_t sent = 0, total = bytes.size() * times;
    auto stalled_since = Clock::now();
    while (sent < total && Clock::now() - stalled_since < patience) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 20) <= 0 || !(p.revents & POLLOUT)) continue;
      size_t at = sent % bytes.size();
      ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
      stalled_since = Clock::now();
    }
    return sent;
  }

  // The next frame from the server as JSON; null when none comes within `timeout` or the
  // connection ends.
  json ReadFrame(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    server::FrameReader reader(1u << 30);
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto frame = reader.Next();
      if (!frame.ok()) return json();
      if (*frame) return json::parse(**frame, nullptr, false);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return json();
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return json();
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return json();
      reader.Append(std::string_view(buf, static_cast<size_t>(n)));
    }
  }

  // True once the server has closed the connection (what it sent first is skipped).
  bool ClosedByServer(std::chrono::milliseconds within) {
    auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// A frame header announcing `length` bytes, without the body.
std::string Header(uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16), static_cast<char>(length >> 8),
          static_cast<char>(length)};
}

class HostileServer : public testing::ServerTest {
 protected:
  // Waits until `done()` or `timeout`; returns done().
  static bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }
  size_t OpenConnections() { return server_->Stats().connections; }
};

// Item 1. A frame of nested arrays deep enough to overflow a recursive copy or
// destructor is refused with a clear error while it is parsed, with a token and without.
TEST_F(HostileServer, DeeplyNestedJsonIsRefusedWithoutCrashing) {
  StartServer();
  const size_t depth = 200000;
  std::string deep = "{\"StartActor\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  auto client = Connect();
  ASSERT_TRUE(client->SendRaw(server::EncodeFrame(deep)).ok());
  auto m = client->ReadMessage(std::chrono::seconds(10));
  ASSERT_TRUE(m.ok() && *m) << (m.ok() ? "no response" : m.error());
  EXPECT_EQ((**m)["Error"]["kind"], "InvalidJson") << (**m).dump();
  EXPECT_NE((**m)["Error"]["message"].get<std::string>().find("deeper"), std::string::npos) << (**m).dump();
  // Objects too, and the connection goes on.
  std::string objects;
  for (size_t i = 0; i < depth / 8; ++i) objects += "{\"a\":";
  objects += "1" + std::string(depth / 8, '}');
  EXPECT_EQ(ErrorKind(*client, json::parse("\"x\"")), "UnknownCommand");
  ASSERT_TRUE(client->SendRaw(server::EncodeFrame("{\"ListActors\":" + objects + "}")).ok());
  m = client->ReadMessage(std::chrono::seconds(10));
  ASSERT_TRUE(m.ok() && *m);
  EXPECT_EQ((**m)["Error"]["kind"], "InvalidJson");
  Expect(*client, "ListActors", "ActorList");
  StopServer();

  // With a token, before Authenticate (the case: ~60,000 levels, 120 KB).
  StartServer([](server::ServerOptions& o) { o.auth_token = "s3cret"; });
  RawSocket anonymous(server_->port());
  std::string nested = "{\"Authenticate\":" + std::string(60000, '[') + std::string(60000, ']') + "}";
  ASSERT_TRUE(anonymous.Send(server::EncodeFrame(nested)));
  json r = anonymous.ReadFrame(std::chrono::seconds(10));
  ASSERT_TRUE(r.contains("Error")) << r.dump();
  auto operator_client = Connect("s3cret");
  ASSERT_TRUE(operator_client);
  Expect(*operator_client, "ListActors", "ActorList");
}

// Item 2. Frame headers alone, announcing big frames, cost the server only the bytes that
// actually arrive; before authenticating, a connection may not announce more than a small
// frame at all.
TEST_F(HostileServer, FrameHeadersAloneDoNotAllocateTheAnnouncedSize) {
  StartServer();  // default frame limit (16 MiB), no token
  double before = RssMb();
  std::vector<std::unique_ptr<RawSocket>> clients;
  for (int i = 0; i < 32; ++i) {
    clients.push_back(std::make_unique<RawSocket>(server_->port()));
    ASSERT_TRUE(clients.back()->connected());
    ASSERT_TRUE(clients.back()->Send(Header((16u << 20) - 1) + "[1,"));
  }
  auto probe = Connect();
  Expect(*probe, "ListActors", "ActorList");  // the server has read what came before
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double grown = RssMb() - before;
  EXPECT_LT(grown, 48.0) << "32 headers of 16 MiB took " << grown << " MiB";
  EXPECT_EQ(OpenConnections(), 33u);
  clients.clear();
  StopServer();

  // With a token: a header over the unauthenticated limit is refused at once.
  StartServer([](server::ServerOptions& o) { o.auth_token = "s3cret"; });
  RawSocket anonymous(server_->port());
  ASSERT_TRUE(anonymous.Send(Header(1u << 20)));
  json r = anonymous.ReadFrame(std::chrono::seconds(5));
  EXPECT_EQ(r["Error"]["kind"], "FrameTooLarge") << r.dump();
  EXPECT_TRUE(anonymous.ClosedByServer(std::chrono::seconds(5)));
  // An authenticated client may still send big frames.
  auto client = Connect("s3cret");
  ASSERT_TRUE(client);
  json big = {{"SendActorMessage", {{"id", "nobody"}, {"data", std::string(1u << 20, 'x')}}}};
  EXPECT_EQ(ErrorKind(*client, big), "ActorNotFound");
}

// Item 3. Big frames pipelined behind a request that never ends: the server holds a
// bounded number of bytes for them (reading pauses), sees the client hang up even while
// it is not reading, and frees everything at once.
TEST_F(HostileServer, PipelinedFramesOfAClientThatHungUpAreBoundedAndFreed) {
  StartServer([](server::ServerOptions& o) { o.max_frame_bytes = 4u << 20; });
  auto control = Connect();
  std::string id = StartMessenger(*control);
  std::string park = server::EncodeFrame(
      json{{"RequestActorMessage", {{"id", id}, {"data", "park"}, {"timeout_ms", 0}}}}.dump());
  std::string frame = server::EncodeFrame(
      json{{"SendActorMessage", {{"id", id}, {"data", std::string((4u << 20) - 100, 'x')}}}}.dump());
  double before = RssMb();

  RawSocket attacker(server_->port());
  ASSERT_TRUE(attacker.Send(park));
  const size_t frames = 48;  // ~192 MiB
  size_t sent = attacker.SendWhileTaken(frame, frames, std::chrono::milliseconds(1500));
  double held = RssMb() - before;
  EXPECT_LT(held, 80.0) << "pipelined frames took " << held << " MiB (" << sent / (1 << 20) << " MiB sent)";
  EXPECT_LT(sent, frame.size() * frames / 2) << "the server read every pipelined frame";
  // Bytes it sent are still on their way (the server does not take them): only a reset
  // can tell the server now; a FIN waits behind them (see the small frames below).
  attacker.Abort();
  EXPECT_TRUE(Eventually([&] { return OpenConnections() == 1; })) << OpenConnections() << " connections";
  bool freed = Eventually([&] { return RssMb() - before < 24.0; });
  EXPECT_TRUE(freed) << RssMb() - before << " MiB still held after the client hung up";

  // Many small frames: reading pauses at max_pending_commands with every byte delivered,
  // and the client's plain close (its FIN) is seen behind them.
  RawSocket pipeliner(server_->port());
  std::string small;
  for (int i = 0; i < 100; ++i) small += server::EncodeFrame("\"ListActors\"");
  ASSERT_TRUE(pipeliner.Send(park + small));
  ASSERT_TRUE(Eventually([&] { return OpenConnections() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // read up to the pause
  pipeliner.Close();
  EXPECT_TRUE(Eventually([&] { return OpenConnections() == 1; })) << OpenConnections() << " connections";
  EXPECT_EQ(Ask(*control, id, "echo alive"), "alive");
  EXPECT_TRUE(Eventually([&] { return Ask(*control, id, "outstanding").empty(); }));
}

// Item 4. Clients that hang up while their request is parked (no timeout) stop counting
// against the connection limit at once, and their parked requests end.
TEST_F(HostileServer, ClientsThatHangUpWithAParkedRequestFreeTheirSlot) {
  StartServer([](server::ServerOptions& o) { o.max_connections = 4; });
  auto control = Connect();
  std::string id = StartMessenger(*control);
  for (int i = 0; i < 10; ++i) {
    RawSocket client(server_->port());
    ASSERT_TRUE(client.connected());
    client.Send(server::EncodeFrame(
        json{{"RequestActorMessage", {{"id", id}, {"data", "park"}, {"timeout_ms", 0}}}}.dump()));
    // Parked (or refused as Busy): either way nothing answers within a moment.
    json r = client.ReadFrame(std::chrono::milliseconds(100));
    EXPECT_TRUE(r.is_null()) << "client " << i << ": " << r.dump();
  }  // each hangs up
  EXPECT_TRUE(Eventually([&] { return OpenConnections() == 1; })) << OpenConnections() << " connections";
  auto late = Connect();
  ASSERT_TRUE(late);
  Expect(*late, "ListActors", "ActorList");
  // Their parked requests ended with them.
  EXPECT_TRUE(Eventually([&] { return Ask(*control, id, "outstanding").empty(); }))
      << Ask(*control, id, "outstanding");
}

// Item 5. Slowloris: connections that trickle a frame, or say nothing, are closed after a
// timeout; and with a token, while anonymous connections hold every other slot, one slot
// still lets an operator in.
TEST_F(HostileServer, SlowClientsTimeOutAndAnOperatorCanAlwaysGetIn) {
  StartServer([](server::ServerOptions& o) {
    o.max_connections = 4;
    o.frame_timeout = std::chrono::milliseconds(600);
    o.idle_timeout = std::chrono::milliseconds(1200);
  });
  std::vector<std::unique_ptr<RawSocket>> slow;
  for (int i = 0; i < 3; ++i) slow.push_back(std::make_unique<RawSocket>(server_->port()));
  auto silent = std::make_unique<RawSocket>(server_->port());  // says nothing at all
  std::atomic<bool> stop{false};
  std::thread drip([&] {  // one byte of a frame every 100 ms: never idle, never a whole frame
    std::string frame = server::EncodeFrame("\"ListActors\"");
    for (size_t at = 0; !stop && at < frame.size(); ++at) {
      for (auto& s : slow) s->Send(frame.substr(at, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  {
    RawSocket refused(server_->port());
    EXPECT_EQ(refused.ReadFrame()["Error"]["kind"], "Busy");
  }
  for (auto& s : slow) EXPECT_TRUE(s->ClosedByServer(std::chrono::seconds(4)));
  EXPECT_TRUE(silent->ClosedByServer(std::chrono::seconds(4)));
  stop = true;
  drip.join();
  auto client = Connect();
  ASSERT_TRUE(client);
  Expect(*client, "ListActors", "ActorList");
  client.reset();
  // The other side: a client that asks and never reads the answers is closed too.
  {
    RawSocket deaf(server_->port(), 4096);
    std::string asks;
    for (int i = 0; i < 2000; ++i) asks += server::EncodeFrame("\"GetServerInfo\"");
    for (int i = 0; i < 10 && deaf.SendWhileTaken(asks, 1, std::chrono::milliseconds(300)) == asks.size(); ++i) {
    }
    EXPECT_TRUE(Eventually([&] { return OpenConnections() == 0; }, std::chrono::seconds(5)))
        << OpenConnections() << " connections";
  }
  slow.clear();
  silent.reset();
  StopServer();

  // With a token, one slot is kept for a client that authenticates.
  StartServer([](server::ServerOptions& o) {
    o.auth_token = "s3cret";
    o.max_connections = 4;
  });
  std::vector<std::unique_ptr<RawSocket>> squatters;
  for (int i = 0; i < 6; ++i) {
    squatters.push_back(std::make_unique<RawSocket>(server_->port()));
    squatters.back()->Send(std::string(1, '\0'));  // the first byte of a header, then nothing
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto operator_client = server::Client::Connect(Address(), "s3cret");
  ASSERT_TRUE(operator_client.ok()) << operator_client.error();
  Expect(**operator_client, "ListActors", "ActorList");
}

}  // namespace
}  // namespace theater
