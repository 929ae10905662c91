// The dashboard (`theater server --http HOST:PORT`): an HTTP listener beside the
// management port that serves the page compiled into the binary (web/, through
// common/embedded_files.h) and upgrades `/ws` to a WebSocket that speaks the management
// protocol itself, one JSON document per message. Such a connection is an ordinary
// Connection (server/connection.h): the same commands, token, limits, timeouts and lag
// rules as a client of the TCP port, and it counts against the same max_connections.
//
// What an HTTP client can do before the upgrade is bounded: at most kMaxExchanges at a
// time, a request head of at most 8 KiB that must arrive, and its answer be taken, within
// 10 s; GET only, no bodies, one request per connection. Against other web pages in the
// same browser: a WebSocket whose Origin is not this page's own is refused (cross-site
// WebSocket hijacking), and on a loopback address a Host that is not an IP address or
// `localhost` is refused (DNS rebinding). The page itself is sent with a strict
// Content-Security-Policy, and it never treats actors' text as HTML.
#pragma once

#include <memory>
#include <string>

#include <asio.hpp>

#include "common/status.h"

namespace theater::server {

class Server;

class Dashboard {
 public:
  static constexpr size_t kMaxExchanges = 64;
  static constexpr size_t kMaxHeadBytes = 8 << 10;
  static constexpr std::chrono::seconds kExchangeTimeout{10};

  static Result<std::unique_ptr<Dashboard>> Create(Server& server, asio::io_context& io,
                                                   const asio::ip::tcp::endpoint& endpoint);
  ~Dashboard();
  const std::string& address() const { return address_; }
  void Close();  // network thread: stops accepting

 private:
  struct Exchange;
  Dashboard(Server& server, asio::io_context& io);
  void Accept();

  Server& server_;
  asio::ip::tcp::acceptor acceptor_;
  std::string address_;
  bool loopback_ = true;
  std::shared_ptr<size_t> exchanges_ = std::make_shared<size_t>(0);  // open, not yet upgraded (network thread)
};

}  // namespace theater::server
