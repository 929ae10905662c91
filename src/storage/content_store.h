// The content store behind the `store` host interface and `store://` references: many
// stores in one SQLite database (<data-dir>/store.db). A store is a set of contents, each
// addressed by the lower-case hex SHA-256 of its bytes (kept once per store), and labels:
// a name for a list of content refs (the last one is the label's current content).
//
// Every store has a total size limit, given by the caller of each write (the actor's
// `max_total_size`): a write that would go over it is an error and changes nothing.
//
// Thread-safe: every call takes the object's lock, and writes are transactions, so the
// CLI and a server can share the file (WAL).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

struct sqlite3;

namespace theater {

// `store://<store-id>/<label>`.
struct StoreReference {
  std::string store_id;
  std::string label;
};
bool IsStoreReference(std::string_view text);  // starts with store://
// An error naming `text` when it is not store://<uuid>/<non-empty label>.
Result<StoreReference> ParseStoreReference(std::string_view text);

class ContentStore {
 public:
  static constexpr uint64_t kDefaultMaxTotalSize = 64ull << 20;  // per store, without max_total_size
  static constexpr size_t kMaxLabelBytes = 1024;
  static constexpr size_t kMaxContentBytes = 512u << 20;  // one content, whatever max_total_size says
  // Label entries (a label with three refs is three) per store: labels cost no content
  // bytes, so without this an actor could grow the file without bound.
  static constexpr uint64_t kMaxLabelEntries = 100000;

  // Opens (or creates) the database. A file that is not such a database is an error naming it.
  static Result<std::unique_ptr<ContentStore>> Open(const std::filesystem::path& file);
  ~ContentStore();
  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  // 64 hex digits (as SHA-256 gives them; any case is accepted and lower-cased by callers).
  static bool IsContentRef(std::string_view ref);
  static std::string RefOf(std::span<const uint8_t> content);  // lower-case hex SHA-256

  // A new store (UUID v4); `owner` is the actor that made it, empty for none (the CLI). An
  // owner that already has `max_owned` stores gets an error instead (0: no limit): each
  // store may hold max_total_size, so without a bound an actor could fill the disk.
  Result<std::string> NewStore(const std::string& owner, uint64_t max_owned = 0);
  // The store's owner (empty: none), or an error when there is no such store.
  Result<std::string> Owner(const std::string& store_id);

  // Adds the content (a no-op when the store has it) and returns its ref. An error when the
  // store's total size would exceed `max_total_size`.
  Result<std::string> Put(const std::string& store_id, std::span<const uint8_t> content, uint64_t max_total_size);
  // Puts the content and appends its ref to the label (`replace`: the label becomes just it).
  Result<std::string> PutAtLabel(const std::string& store_id, const std::string& label,
                                 std::span<const uint8_t> content, uint64_t max_total_size, bool replace);
  Result<Bytes> Get(const std::string& store_id, const std::string& ref);  // an error naming a missing ref
  Result<bool> Exists(const std::string& store_id, const std::string& ref);

  // The label becomes [ref]; the store must have the content.
  Status SetLabel(const std::string& store_id, const std::string& label, const std::string& ref);
  // The label's current (last) ref, or nullopt when there is no such label.
  Result<std::optional<std::string>> GetLabel(const std::string& store_id, const std::string& label);
  Status RemoveLabel(const std::string& store_id, const std::string& label);  // no such label is fine
  // Takes `ref` out of the label's list (a label left empty is gone).
  Status RemoveFromLabel(const std::string& store_id, const std::string& label, const std::string& ref);
  Result<std::vector<std::string>> Labels(const std::string& store_id);      // sorted
  Result<std::vector<std::string>> AllContent(const std::string& store_id);  // in the order stored
  Result<uint64_t> TotalSize(const std::string& store_id);                   // bytes of content

  // The bytes at a store:// reference (its label's current content); errors name it.
  Result<Bytes> Read(std::string_view reference);

  const std::filesystem::path& file() const { return file_; }

 private:
  struct CloseDb {
    void operator()(sqlite3* db) const;
  };
  using Db = std::unique_ptr<sqlite3, CloseDb>;
  class Statement;
  class Transaction;

  ContentStore(std::filesystem::path file, Db db) : file_(std::move(file)), db_(std::move(db)) {}
  Status Init();
  Status Error(const std::string& what) const;  // names the file and sqlite's message
  // The rest run with mu_ held.
  Status CheckStore(const std::string& store_id);
  Status CheckLabel(const std::string& label) const;
  Result<uint64_t> TotalSizeLocked(const std::string& store_id);
  Result<bool> HasContent(const std::string& store_id, const std::string& ref);
  Result<std::string> PutLocked(const std::string& store_id, std::span<const uint8_t> content, uint64_t max_total_size);
  Status ClearLabel(const std::string& store_id, const std::string& label);
  Status AppendToLabel(const std::string& store_id, const std::string& label, const std::string& ref);

  std::filesystem::path file_;
  std::mutex mu_;
  Db db_;
};

}  // namespace theater
