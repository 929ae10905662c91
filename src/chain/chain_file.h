// The chain file: "THCHAIN2" followed by one record per event:
//   record length (u32 BE) | canonical encoding of the event | its SHA-256 hash (32 bytes)
// See docs/chain-format.md. The reader/verifier here uses only that layout and SHA-256.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/event.h"
#include "common/status.h"

namespace theater {

// Version 2 names states by digest (chain/state_ref.h); version 1 held them inline and is
// refused with an error that says so.
inline constexpr char kChainFileMagic[] = "THCHAIN2";
inline constexpr char kChainFileMagicV1[] = "THCHAIN1";

// Appends events to a chain file, flushing each one.
class ChainFileWriter {
 public:
  // Creates (truncates) the file and writes the magic.
  static Result<std::unique_ptr<ChainFileWriter>> Create(const std::filesystem::path& path);
  ~ChainFileWriter();
  Status Append(const ChainEvent& event);
  Status Append(const ChainEvent& event, std::span<const uint8_t> encoding);
  const std::filesystem::path& path() const { return path_; }

 private:
  ChainFileWriter(std::filesystem::path path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  std::filesystem::path path_;
  std::FILE* file_;
};

// What verification found. On failure, `bad_seq` names the first event that is wrong
// (or the position where a record was expected) and `reason` says why.
struct VerifyReport {
  bool ok = false;
  uint64_t events = 0;             // events that verified
  std::optional<Hash> head;        // hash of the last event that verified
  std::optional<uint64_t> bad_seq;
  uint64_t bad_offset = 0;         // byte offset of the bad record in the file
  std::string reason;
};

// Parses a chain file image and checks every record: length, decoding, hash, sequence,
// parent link. Events that verify are appended to `events_out` when given, their hashes
// to `hashes_out`.
VerifyReport VerifyChainBytes(std::span<const uint8_t> file, std::vector<ChainEvent>* events_out = nullptr,
                              std::vector<Hash>* hashes_out = nullptr);
// Decodes one canonical encoding (docs/chain-format.md, section 2); the hash is its SHA-256.
Result<ChainEvent> ParseCanonicalEncoding(std::span<const uint8_t> encoding);

VerifyReport VerifyChainFile(const std::filesystem::path& path, std::vector<ChainEvent>* events_out = nullptr,
                             std::vector<Hash>* hashes_out = nullptr);

}  // namespace theater
