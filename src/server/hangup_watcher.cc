#include "server/hangup_watcher.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace theater::server {

Result<std::unique_ptr<HangupWatcher>> HangupWatcher::Create(asio::io_context& io,
                                                             std::function<void(uint64_t)> on_hangup) {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return Status::Error(std::string("epoll_create1: ") + std::strerror(errno));
  std::unique_ptr<HangupWatcher> w(new HangupWatcher(io, fd, std::move(on_hangup)));
  w->Wait();
  return w;
}

HangupWatcher::HangupWatcher(asio::io_context& io, int epoll_fd, std::function<void(uint64_t)> on_hangup)
    : set_(io, epoll_fd), on_hangup_(std::move(on_hangup)) {}

HangupWatcher::~HangupWatcher() = default;

Status HangupWatcher::Watch(int fd, uint64_t key) {
  // One report per Watch (EPOLLONESHOT): the connection is closed on it, and a level that
  // stays raised until then must not spin the loop.
  epoll_event ev{};
  ev.events = EPOLLRDHUP | EPOLLONESHOT;  // EPOLLHUP and EPOLLERR are always reported
  ev.data.u64 = key;
  if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0)
    return Status::Error(std::string("epoll_ctl: ") + std::strerror(errno));
  return Status::Ok();
}

void HangupWatcher::Unwatch(int fd) {
  epoll_event ignored{};
  ::epoll_ctl(set_.native_handle(), EPOLL_CTL_DEL, fd, &ignored);
}

void HangupWatcher::Cancel() {
  asio::error_code ignored;
  set_.cancel(ignored);
}

void HangupWatcher::Wait() {
  set_.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
    if (ec) return;  // cancelled: the server is stopping
    epoll_event events[64];
    int n = ::epoll_wait(set_.native_handle(), events, 64, 0);
    for (int i = 0; i < n; ++i) on_hangup_(events[i].data.u64);
    Wait();
  });
}

}  // namespace theater::server
