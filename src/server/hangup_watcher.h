// Tells the network thread when a client has hung up on a connection the server is not
// reading. A connection whose pending commands are full stops reading, so it would never
// see the end of the stream behind the bytes it has not read; and asio's reactor does
// not ask the kernel about a peer's shutdown (EPOLLRDHUP). So the connections that stop
// reading are put in an epoll set of their own, watched for EPOLLRDHUP (the client shut
// its side), EPOLLHUP and EPOLLERR (reset), and that set's descriptor is watched by asio.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <asio.hpp>

#include "common/status.h"

namespace theater::server {

class HangupWatcher {
 public:
  // `on_hangup(key)` runs on `io`'s thread, once per Watch, when the peer of the watched
  // socket has shut its side or reset the connection.
  static Result<std::unique_ptr<HangupWatcher>> Create(asio::io_context& io, std::function<void(uint64_t)> on_hangup);
  ~HangupWatcher();

  // Network thread. Watch a socket (until Unwatch, or its hang-up is reported); `key` is
  // what on_hangup is given.
  Status Watch(int fd, uint64_t key);
  void Unwatch(int fd);
  void Cancel();  // stops watching the set itself (the server is stopping)

 private:
  HangupWatcher(asio::io_context& io, int epoll_fd, std::function<void(uint64_t)> on_hangup);
  void Wait();

  asio::posix::stream_descriptor set_;  // owns the epoll descriptor
  std::function<void(uint64_t)> on_hangup_;
};

}  // namespace theater::server
