#include "chain/chain_file.h"

#include <cerrno>
#include <cstring>

#include "chain/byte_io.h"
#include "common/files.h"

namespace theater {

Result<std::unique_ptr<ChainFileWriter>> ChainFileWriter::Create(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::Error(path.string() + ": " + std::strerror(errno));
  if (std::fwrite(kChainFileMagic, 1, 8, f) != 8 || std::fflush(f) != 0) {
    std::fclose(f);
    return Status::Error(path.string() + ": write failed");
  }
  return std::unique_ptr<ChainFileWriter>(new ChainFileWriter(path, f));
}

ChainFileWriter::~ChainFileWriter() { std::fclose(file_); }

Status ChainFileWriter::Append(const ChainEvent& event) { return Append(event, CanonicalEncoding(event)); }

Status ChainFileWriter::Append(const ChainEvent& event, std::span<const uint8_t> encoding) {
  Bytes record(encoding.begin(), encoding.end());
  uint32_t len = static_cast<uint32_t>(record.size() + event.hash.size());
  uint8_t prefix[4] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                       static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
  record.insert(record.end(), event.hash.begin(), event.hash.end());
  if (std::fwrite(prefix, 1, 4, file_) != 4 ||
      std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0)
    return Status::Error(path_.string() + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

namespace {

// The shortest canonical encoding (seq, parent flag 0, timestamp, an empty type and empty
// data: 8 + 1 + 8 + 4 + 8 bytes) and its hash.
constexpr uint64_t kMinRecordLength = 29 + 32;

// Decodes one canonical encoding (exactly `body`), or explains why it cannot.
// The type and data are copied only when `keep_payload` (verifying alone needs neither).
std::optional<std::string> DecodeEvent(std::span<const uint8_t> body, ChainEvent& e, bool keep_payload) {
  ByteReader r(body);
  if (!r.Need(9)) return "record too short for its header";
  e.seq = r.Uint(8);
  uint8_t flag = static_cast<uint8_t>(r.Uint(1));
  if (flag > 1) return "invalid parent flag " + std::to_string(flag);
  if (flag == 1) {
    if (!r.Need(32)) return "record too short for its parent hash";
    auto p = r.Take(32);
    Hash h;
    std::copy(p.begin(), p.end(), h.begin());
    e.parent = h;
  } else {
    e.parent.reset();
  }
  if (!r.Need(12)) return "record too short for its timestamp";
  e.timestamp_ms = r.Uint(8);
  size_t type_len = r.Uint(4);
  if (!r.Need(type_len)) return "event type runs past the record";
  auto t = r.Take(type_len);
  if (keep_payload) e.type.assign(t.begin(), t.end());
  if (!r.Need(8)) return "record too short for its data length";
  uint64_t data_len = r.Uint(8);
  if (!r.Need(data_len)) return "event data runs past the record";
  auto d = r.Take(data_len);
  if (keep_payload) e.data.assign(d.begin(), d.end());
  if (!r.done()) return "record has trailing bytes";
  return std::nullopt;
}

}  // namespace

Result<ChainEvent> ParseCanonicalEncoding(std::span<const uint8_t> encoding) {
  ChainEvent e;
  if (auto why = DecodeEvent(encoding, e, true)) return Status::Error(*why);
  e.hash = Sha256(encoding);
  return e;
}

VerifyReport VerifyChainBytes(std::span<const uint8_t> file, std::vector<ChainEvent>* events_out,
                              std::vector<Hash>* hashes_out) {
  VerifyReport report;
  auto fail = [&](uint64_t seq, size_t offset, std::string why) {
    report.ok = false;
    report.bad_seq = seq;
    report.bad_offset = offset;
    report.reason = std::move(why);
    return report;
  };
  if (file.size() >= 8 && std::memcmp(file.data(), kChainFileMagicV1, 8) == 0)
    return fail(0, 0,
                "a chain file of format 1 (THCHAIN1), written by an older Theater that recorded states inline; "
                "this Theater reads format 2 (THCHAIN2) only");
  if (file.size() < 8 || std::memcmp(file.data(), kChainFileMagic, 8) != 0)
    return fail(0, 0, "not a chain file (missing THCHAIN2 header)");
  ByteReader r(file.subspan(8));
  uint64_t expected_seq = 0;
  std::optional<Hash> prev;
  while (!r.done()) {
    size_t offset = 8 + r.pos();
    if (!r.Need(4)) return fail(expected_seq, offset, "truncated record: incomplete length prefix");
    uint64_t len = r.Uint(4);
    if (len < kMinRecordLength)
      return fail(expected_seq, offset,
                  "record length " + std::to_string(len) + " is too small (a record is at least " +
                      std::to_string(kMinRecordLength) + " bytes)");
    if (!r.Need(len))
      return fail(expected_seq, offset,
                  "truncated record: needs " + std::to_string(len) + " bytes, file has " +
                      std::to_string(file.size() - 8 - r.pos()));
    auto record = r.Take(len);
    ChainEvent e;
    auto body = record.first(len - 32);
    if (auto why = DecodeEvent(body, e, events_out != nullptr)) return fail(expected_seq, offset, *why);
    std::copy(record.end() - 32, record.end(), e.hash.begin());
    if (e.seq != expected_seq)
      return fail(expected_seq, offset,
                  "gap in sequence: expected event " + std::to_string(expected_seq) + ", found " +
                      std::to_string(e.seq));
    if (e.parent != prev)
      return fail(e.seq, offset,
                  prev ? (e.parent ? "broken parent link: parent is " + ToHex(*e.parent) + ", previous event is " + ToHex(*prev)
                                   : "broken parent link: event has no parent")
                       : "broken parent link: first event must have no parent");
    // The body parsed exactly as a canonical encoding, so it is the encoding to hash.
    Hash computed = Sha256(body);
    if (computed != e.hash)
      return fail(e.seq, offset,
                  "hash mismatch: recorded " + ToHex(e.hash) + ", computed " + ToHex(computed));
    prev = e.hash;
    ++expected_seq;
    report.events = expected_seq;
    report.head = prev;
    if (hashes_out) hashes_out->push_back(e.hash);
    if (events_out) events_out->push_back(std::move(e));
  }
  report.ok = true;
  return report;
}

VerifyReport VerifyChainFile(const std::filesystem::path& path, std::vector<ChainEvent>* events_out,
                             std::vector<Hash>* hashes_out) {
  auto data = ReadFile(path);
  if (!data.ok()) {
    VerifyReport report;
    report.reason = data.error();
    return report;
  }
  return VerifyChainBytes(*data, events_out, hashes_out);
}

}  // namespace theater
