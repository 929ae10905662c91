// Small file helpers and the data directory.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace theater {

// Reads a whole file. The error names the path and the reason.
Result<Bytes> ReadFile(const std::filesystem::path& path);
// Writes through a temporary file and a rename, so readers never see half a file.
Status WriteFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data);

// $THEATER_HOME, or ~/.theater when it is not set.
std::filesystem::path DefaultDataDir();

}  // namespace theater
