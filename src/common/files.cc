#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace theater {

std::string FileKindName(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
  }
  return "not a regular file";
}

Result<Bytes> ReadOpenFile(int fd, const std::string& name, uint64_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::Error(name + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Status::Error(name + ": is " + FileKindName(st.st_mode) + "; only regular files are read");
  auto too_big = [&](const std::string& size) {
    return Status::Error(name + ": is " + size + " bytes, larger than the limit of " + std::to_string(max_bytes));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_big(std::to_string(st.st_size));
  // Reserved to the file's size and filled by 64 KiB reads: no zero-fill, no regrowth
  // (chains are read whole, and often). A file that grows meanwhile (or a /proc file,
  // which says 0) is read on, but never past `max_bytes`.
  Bytes data;
  data.reserve(static_cast<size_t>(st.st_size));
  uint8_t chunk[65536];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error(name + ": read failed: " + std::strerror(errno));
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_bytes) return too_big("more than " + std::to_string(max_bytes));
    data.insert(data.end(), chunk, chunk + n);
  }
  return data;
}

Result<Bytes> ReadFile(const std::filesystem::path& path, uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer; this way the open
  // returns at once and fstat refuses it. O_NOCTTY: a terminal never becomes ours.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Status::Error(path.string() + ": " + std::strerror(errno));
  auto data = ReadOpenFile(fd, path.string(), max_bytes);
  ::close(fd);
  return data;
}

Status WriteFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Error(tmp.string() + ": " + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out.flush()) return Status::Error(tmp.string() + ": write failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Error(path.string() + ": " + ec.message());
  return Status::Ok();
}

std::filesystem::path DefaultDataDir() {
  if (const char* home = std::getenv("THEATER_HOME"); home && *home) return home;
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".theater";
  return ".theater";
}

}  // namespace theater
