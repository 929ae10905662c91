#include "storage/chain_store.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "chain/chain_file.h"

namespace theater {

namespace {

constexpr auto kWriteInterval = std::chrono::milliseconds(5);

Status WriteAll(int fd, const uint8_t* data, size_t size, const std::filesystem::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(path.string() + ": write failed: " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

void ChainStore::Sink::Append(const ChainEvent& event, std::span<const uint8_t> encoding) {
  uint32_t len = static_cast<uint32_t>(encoding.size() + event.hash.size());
  bool mark = false;
  {
    std::lock_guard lock(mu_);
    buffer_.push_back(static_cast<uint8_t>(len >> 24));
    buffer_.push_back(static_cast<uint8_t>(len >> 16));
    buffer_.push_back(static_cast<uint8_t>(len >> 8));
    buffer_.push_back(static_cast<uint8_t>(len));
    buffer_.insert(buffer_.end(), encoding.begin(), encoding.end());
    buffer_.insert(buffer_.end(), event.hash.begin(), event.hash.end());
    if (!queued_) {
      queued_ = true;
      mark = true;
    }
  }
  if (mark) store_->MarkDirty(shared_from_this());
}

Status ChainStore::Sink::status() const {
  std::lock_guard lock(mu_);
  return error_;
}

Status ChainStore::Sink::WriteOut() {
  std::lock_guard write_lock(write_mu_);
  Bytes data;
  {
    std::lock_guard lock(mu_);
    data.swap(buffer_);
    queued_ = false;
  }
  if (data.empty()) return Status::Ok();
  if (!created_) {
    // The file is created with the first write, off the actor's path.
    data.insert(data.begin(), kChainFileMagic, kChainFileMagic + 8);
  }
  int fd = ::open(path_.c_str(), created_ ? (O_WRONLY | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC),
                  0644);
  if (fd >= 0) created_ = true;
  Status s = fd < 0 ? Status::Error(path_.string() + ": " + std::strerror(errno)) : WriteAll(fd, data.data(), data.size(), path_);
  if (fd >= 0) ::close(fd);
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = s;
  }
  return s;
}

ChainStore::ChainStore(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  writer_ = std::jthread([this](std::stop_token stop) { WriterLoop(stop); });
}

ChainStore::~ChainStore() {
  writer_.request_stop();
  cv_.notify_all();
  writer_.join();
  FlushAll();
}

Result<std::shared_ptr<ChainStore::Sink>> ChainStore::Open(const std::string& actor_id) {
  return std::shared_ptr<Sink>(new Sink(this, dir_ / (actor_id + ".chain")));
}

Status ChainStore::Flush(Sink& sink) { return sink.WriteOut(); }

void ChainStore::MarkDirty(const std::shared_ptr<Sink>& sink) {
  std::lock_guard lock(mu_);
  dirty_.push_back(sink);
}

void ChainStore::FlushAll() {
  std::vector<std::weak_ptr<Sink>> dirty;
  {
    std::lock_guard lock(mu_);
    dirty.swap(dirty_);
  }
  for (auto& weak : dirty)
    if (auto sink = weak.lock()) sink->WriteOut();
}

void ChainStore::WriterLoop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    cv_.wait_for(lock, stop, kWriteInterval, [] { return false; });
    lock.unlock();
    FlushAll();
    lock.lock();
  }
}

}  // namespace theater
