#include "storage/chain_store.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "common/files.h"

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

ChainStore::Sink::~Sink() {
  WriteOut(store_->options_.sync);
  std::lock_guard lock(write_mu_);
  CloseFile();
}

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

void ChainStore::Sink::CloseFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  store_->open_files_.fetch_sub(1);
}

Status ChainStore::Sink::WriteOut(bool sync) {
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
  Status s;
  if (fd_ < 0) {
    int flags = created_ ? (O_WRONLY | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
    fd_ = ::open(path_.c_str(), flags, 0644);
    if (fd_ < 0) s = Status::Error(path_.string() + ": " + std::strerror(errno));
    else store_->open_files_.fetch_add(1);
  }
  if (fd_ >= 0) {
    created_ = true;
    s = WriteAll(fd_, data.data(), data.size(), path_);
    if (s.ok() && sync && ::fdatasync(fd_) != 0) s = Status::Error(path_.string() + ": fdatasync failed: " + std::strerror(errno));
    // Keep the file open for the next flush, unless too many are open.
    if (store_->open_files_.load() > store_->options_.max_open_files) CloseFile();
  }
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = s;
  }
  return s;
}

ChainStore::ChainStore(std::filesystem::path dir, Options options) : dir_(std::move(dir)), options_(options) {
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

std::shared_ptr<ChainStore::Sink> ChainStore::Open(const std::string& actor_id, bool append) {
  return std::shared_ptr<Sink>(new Sink(this, dir_ / (actor_id + ".chain"), append));
}

Status ChainStore::Flush(Sink& sink) { return sink.WriteOut(options_.sync); }

void ChainStore::Release(Sink& sink) {
  sink.WriteOut(options_.sync);
  std::lock_guard lock(sink.write_mu_);
  sink.CloseFile();
}

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
    if (auto sink = weak.lock()) sink->WriteOut(options_.sync);
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

RecoveryReport RecoverChainFile(const std::filesystem::path& path) {
  RecoveryReport report;
  report.verify = VerifyChainFile(path);
  bool torn_tail = !report.verify.ok && report.verify.reason.rfind("truncated record", 0) == 0;
  if (!torn_tail) return report;
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || report.verify.bad_offset >= size) return report;
  report.dropped_bytes = size - report.verify.bad_offset;
  std::filesystem::resize_file(path, report.verify.bad_offset, ec);
  if (ec) return report;
  report.verify = VerifyChainFile(path);
  return report;
}

}  // namespace theater
