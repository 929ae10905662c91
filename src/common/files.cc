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

Result<Bytes> ReadFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(path.string() + ": " + std::strerror(errno));
  struct stat st {};
  bool stat_ok = ::fstat(fd, &st) == 0;
  if (!stat_ok || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::Error(path.string() + (stat_ok ? ": is a directory" : ": cannot stat"));
  }
  // Reserved to the file's size and filled by 64 KiB reads: no zero-fill, no regrowth
  // (chains are read whole, and often); a file that grows meanwhile is still read whole.
  Bytes data;
  data.reserve(static_cast<size_t>(st.st_size));
  uint8_t chunk[65536];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::Error(path.string() + ": read failed: " + std::strerror(err));
    }
    if (n == 0) break;
    data.insert(data.end(), chunk, chunk + n);
  }
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
