// Confinement for theater:simple/filesystem: a directory opened once, and every path the
// actor names resolved beneath it by the kernel (openat2 with RESOLVE_BENEATH), so that
// neither `..` nor a symbolic link — whatever it points to at the moment of the call —
// can reach anything outside. Paths are also checked as text first, so that obvious
// escapes are refused before anything is touched.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "common/unique_fd.h"

namespace theater::host::fs {

using theater::UniqueFd;

// How a path appears in messages: NUL and control bytes escaped, long paths shortened.
std::string Shown(std::string_view path);

// Why `path` is refused as written (absolute, `..`, a NUL byte, too long), or nullopt.
std::optional<std::string> CheckPathText(std::string_view path);
// True when `path` names the root itself ("", ".", "./", ".//.").
bool NamesRoot(std::string_view path);

// Whether a failed operation was a refusal (an attempt to leave the directory, recorded
// as denied) or an ordinary error (no such file).
struct PathError {
  std::string message;
  bool denied = false;
  int err = 0;  // the errno, when an operation failed
};

template <typename T>
class PathResult {
 public:
  PathResult(T value) : value_(std::move(value)) {}          // NOLINT: implicit on purpose
  PathResult(PathError error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }
  const PathError& error() const { return *error_; }

 private:
  std::optional<T> value_;
  std::optional<PathError> error_;
};

// A path's parent directory (opened) and its last component.
struct ParentAndName {
  UniqueFd parent;
  std::string name;
};

class ConfinedDir {
 public:
  // Opens `root`, which must be an existing directory.
  static Result<ConfinedDir> Open(const std::filesystem::path& root);

  // Opens `path` (relative; "" and "." are the root itself) beneath the root with
  // open(2) `flags` (O_CLOEXEC is added); `mode` for O_CREAT.
  PathResult<UniqueFd> OpenBeneath(std::string_view path, int flags, mode_t mode = 0) const;
  // The directory that holds `path`'s last component, and that component. Refused when
  // the path names the root itself (there is no entry to act on).
  PathResult<ParentAndName> OpenParent(std::string_view path) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  ConfinedDir(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  UniqueFd fd_;
};

// A clear sentence for an operation on `path` that failed with `err` (errno): EXDEV
// (a symbolic link out of the directory) is a refusal, everything else an error.
PathError ErrnoError(std::string_view path, const std::string& doing, int err);

}  // namespace theater::host::fs
