// Small file helpers and the data directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace theater {

// Size limits for the files Theater reads whole. Each is checked before the file is read
// (on its size as stat(2) gives it, and again while reading: /proc files say 0).
inline constexpr uint64_t kMaxManifestBytes = 1ull << 20;     // a manifest (TOML)
inline constexpr uint64_t kMaxComponentBytes = 256ull << 20;  // a component (.wasm or .wat)
inline constexpr uint64_t kMaxStateFileBytes = 64ull << 20;   // an init_state / --state file
inline constexpr uint64_t kMaxSmallFileBytes = 16ull << 20;   // keys, proofs, heads, exports' parts
inline constexpr uint64_t kMaxDataFileBytes = 1ull << 40;     // Theater's own files (chains)

// Reads a whole regular file of at most `max_bytes`. Anything else — a directory, a FIFO,
// a device, a socket — is refused without blocking and without reading a byte: /dev/zero
// never ends, a FIFO may never answer. The error names the path and the reason.
Result<Bytes> ReadFile(const std::filesystem::path& path, uint64_t max_bytes = kMaxDataFileBytes);
// Reads a whole regular file from an open descriptor (which it does not close), with the
// same checks; `name` is how errors show the file.
Result<Bytes> ReadOpenFile(int fd, const std::string& name, uint64_t max_bytes);
// Writes through a temporary file and a rename, so readers never see half a file.
Status WriteFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data);

// "a FIFO", "a character device", ... for an st_mode that is not a regular file.
std::string FileKindName(unsigned mode);

// $THEATER_HOME, or ~/.theater when it is not set.
std::filesystem::path DefaultDataDir();

}  // namespace theater
