#include "host/filesystem_paths.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace theater::host::fs {
namespace {

constexpr size_t kMaxPathBytes = PATH_MAX - 1;  // PATH_MAX counts the terminating NUL
constexpr size_t kMaxShownBytes = 100;

// A path with "" for the root, and without trailing slashes (they change nothing here).
std::string_view Trimmed(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

std::string Shown(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (out.size() >= kMaxShownBytes) {
      // Cut at a character boundary: the message must stay valid UTF-8.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
      return out + "… (" + std::to_string(path.size()) + " bytes)";
    }
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == 0) {
      out += "\\0";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> CheckPathText(std::string_view path) {
  std::string shown = "path `" + Shown(path) + "`";
  // A C path ends at the first NUL: "a\0/../../x" would name something else than asked.
  if (path.find('\0') != std::string_view::npos) return shown + " contains a NUL byte";
  if (path.size() > kMaxPathBytes)
    return shown + " is " + std::to_string(path.size()) + " bytes long; the limit is " + std::to_string(kMaxPathBytes) +
           " (PATH_MAX)";
  if (!path.empty() && path.front() == '/')
    return shown + " is absolute; paths are relative to the actor's directory";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    // Refused even where it would stay inside (a/../b): no path needs it, and the check
    // is simple enough to trust.
    if (component == "..") return shown + " contains `..`; paths may not climb out of the actor's directory";
    if (component.size() > NAME_MAX)
      return shown + " has a component of " + std::to_string(component.size()) + " bytes; the limit is " +
             std::to_string(NAME_MAX) + " (NAME_MAX)";
    start = end + 1;
  }
  return std::nullopt;
}

bool NamesRoot(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    if (!component.empty() && component != ".") return false;
    start = end + 1;
  }
  return true;
}

PathError ErrnoError(std::string_view path, const std::string& doing, int err) {
  std::string shown = "path `" + Shown(path) + "`";
  switch (err) {
    case EXDEV:
      return {shown + " leaves the actor's directory (through a symbolic link)", true, err};
    case ELOOP:
      return {shown + ": too many levels of symbolic links", false, err};
    case ENOENT:
      return {shown + " does not exist", false, err};
    case ENOTDIR:
      return {shown + ": a component of it is not a directory", false, err};
    case ENOSYS:
      return {"cannot " + doing + " " + shown +
                  ": the kernel has no openat2(2) (Linux 5.6 or later is needed to confine paths)",
              false, err};
    default:
      return {"cannot " + doing + " " + shown + ": " + std::strerror(err), false, err};
  }
}

Result<ConfinedDir> ConfinedDir::Open(const std::filesystem::path& root) {
  int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::Error("the actor's directory `" + root.string() + "` does not exist");
    if (err == ENOTDIR) return Status::Error("the actor's directory `" + root.string() + "` is not a directory");
    return Status::Error("cannot open the actor's directory `" + root.string() + "`: " + std::strerror(err));
  }
  return ConfinedDir(root, UniqueFd(fd));
}

PathResult<UniqueFd> ConfinedDir::OpenBeneath(std::string_view path, int flags, mode_t mode) const {
  if (auto why = CheckPathText(path)) return PathError{*why, true};
  std::string relative(Trimmed(path));
  if (relative.empty()) relative = ".";
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  // BENEATH: no `..`, absolute path or symbolic link may resolve outside the root, checked
  // by the kernel as it walks. NO_MAGICLINKS: no /proc-style links to other files.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, fd_.get(), relative.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int err = errno;
    // EAGAIN: a rename elsewhere raced the walk; the kernel asks to try again.
    if ((err == EAGAIN || err == EINTR) && attempt < 16) continue;
    return ErrnoError(path, "open", err);
  }
}

PathResult<ParentAndName> ConfinedDir::OpenParent(std::string_view path) const {
  if (auto why = CheckPathText(path)) return PathError{*why, true};
  std::string_view trimmed = Trimmed(path);
  size_t slash = trimmed.rfind('/');
  std::string_view parent = slash == std::string_view::npos ? std::string_view() : trimmed.substr(0, slash);
  std::string name(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
  if (name.empty() || name == "." || NamesRoot(path))
    return PathError{"path `" + Shown(path) + "` names a directory by `.`, not an entry in it", false};
  auto dir = OpenBeneath(parent, O_PATH | O_DIRECTORY);
  if (!dir.ok()) return dir.error();
  return ParentAndName{std::move(*dir), std::move(name)};
}

}  // namespace theater::host::fs
