#include "common/files.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace theater {

Result<Bytes> ReadFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::Error(path.string() + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path.string() + ": " + std::strerror(errno));
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Error(path.string() + ": read failed");
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
