// The environment a program started for an actor gets. An allow list from the manifest
// says which names the actor may set; some names are never passed, whatever the manifest
// says: those that make the dynamic loader, libc or a shell load or run code, or write
// files, before the program itself has any say (LD_PRELOAD, LD_DEBUG_OUTPUT, GCONV_PATH,
// GLIBC_TUNABLES, MALLOC_*, BASH_ENV, ENV, IFS, ...).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace theater::host {

// Why `name` is never given to a program, or nullopt when it may be (if allowed).
std::optional<std::string> NeverPassed(std::string_view name);

// Checks each variable the actor asks for: a portable name ([A-Za-z_][A-Za-z0-9_]*), not
// one NeverPassed refuses, and in `allowed` (exact names; an entry ending in `*` allows
// the names that start with what comes before it). The "NAME=VALUE" strings for the
// program, or the first refusal, e.g. "environment variable `LD_PRELOAD` is never passed
// to processes: ...".
Result<std::vector<std::string>> CheckEnvironment(const std::vector<std::pair<std::string, std::string>>& vars,
                                                  const std::vector<std::string>& allowed,
                                                  const std::string& allow_list_name);

}  // namespace theater::host
