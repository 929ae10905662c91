#include "storage/content_store.h"

#include <sqlite3.h>

#include <chrono>

#include "common/sha256.h"
#include "common/uuid.h"
#include "storage/sqlite_schema.h"

namespace theater {
namespace {

constexpr int kSchemaVersion = 1;
constexpr std::string_view kScheme = "store://";

// `content` is keyed by (store, hash): the same bytes in two stores are two rows, so a
// store's size is what it holds. `labels` keeps a label's refs in order (pos).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS stores (
  id         TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS content (
  ord   INTEGER PRIMARY KEY AUTOINCREMENT,
  store TEXT NOT NULL,
  hash  TEXT NOT NULL,
  size  INTEGER NOT NULL,
  data  BLOB NOT NULL,
  UNIQUE (store, hash)
);
CREATE TABLE IF NOT EXISTS labels (
  store TEXT NOT NULL,
  label TEXT NOT NULL,
  pos   INTEGER NOT NULL,
  hash  TEXT NOT NULL,
  PRIMARY KEY (store, label, pos)
);
)sql";

uint64_t NowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

// A prepared statement, finalized when it goes.
class ContentStore::Statement {
 public:
  Statement(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK; }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return ok_; }
  Statement& Text(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Blob(int i, std::span<const uint8_t> b) {
    // A zero-length blob must still be a blob, not NULL (the column is NOT NULL).
    if (b.empty()) sqlite3_bind_zeroblob(stmt_, i, 0);
    else sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Int(int i, uint64_t v) {
    sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v));
    return *this;
  }
  int Step() { return sqlite3_step(stmt_); }
  std::string ColumnText(int c) {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, c)) : std::string();
  }
  Bytes ColumnBlob(int c) {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, c));
    return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, c)) : Bytes();
  }
  uint64_t ColumnInt(int c) { return static_cast<uint64_t>(sqlite3_column_int64(stmt_, c)); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_ = false;
};

// BEGIN IMMEDIATE (the write lock at once: another process cannot slip in between the size
// check and the insert); rolled back unless committed.
class ContentStore::Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { ok_ = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK; }
  ~Transaction() {
    if (ok_ && !committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  bool ok() const { return ok_; }
  bool Commit() { return committed_ = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK; }

 private:
  sqlite3* db_;
  bool ok_ = false, committed_ = false;
};

bool IsStoreReference(std::string_view text) { return text.substr(0, kScheme.size()) == kScheme; }

Result<StoreReference> ParseStoreReference(std::string_view text) {
  if (!IsStoreReference(text)) return Status::Error("`" + std::string(text) + "` is not a store:// reference");
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size())
    return Status::Error("`" + std::string(text) + "` is not store://<store-id>/<label>");
  StoreReference ref{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
  if (!IsUuid(ref.store_id))
    return Status::Error("`" + std::string(text) + "`: store id `" + ref.store_id + "` is not a UUID");
  return ref;
}

void ContentStore::CloseDb::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Result<std::unique_ptr<ContentStore>> ContentStore::Open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  Db db(raw);
  if (rc != SQLITE_OK)
    return Status::Error(file.string() + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  std::unique_ptr<ContentStore> store(new ContentStore(file, std::move(db)));
  THEATER_RETURN_IF_ERROR(store->Init());
  return store;
}

ContentStore::~ContentStore() = default;

Status ContentStore::Error(const std::string& what) const {
  return Status::Error(file_.string() + ": " + what + ": " + sqlite3_errmsg(db_.get()));
}

Status ContentStore::Init() {
  return PrepareDatabase(db_.get(), file_, kSchema, kSchemaVersion);
}

bool ContentStore::IsContentRef(std::string_view ref) {
  if (ref.size() != 64) return false;
  for (char c : ref)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string ContentStore::RefOf(std::span<const uint8_t> content) {
  Hash h = Sha256(content);
  return ToHex(h);
}

Result<std::string> ContentStore::NewStore(const std::string& owner, uint64_t max_owned) {
  std::string id = NewUuidV4();
  std::lock_guard lock(mu_);
  if (max_owned > 0 && !owner.empty()) {
    Statement count(db_.get(), "SELECT COUNT(*) FROM stores WHERE owner = ?1");
    if (!count.ok() || count.Text(1, owner).Step() != SQLITE_ROW) return Error("cannot count the stores of " + owner);
    uint64_t owned = count.ColumnInt(0);
    if (owned >= max_owned)
      return Status::Error("actor " + owner + " already has " + std::to_string(owned) +
                           " stores, the most its store handler allows (max_stores " + std::to_string(max_owned) + ")");
  }
  Statement insert(db_.get(), "INSERT INTO stores (id, owner, created_ms) VALUES (?1, ?2, ?3)");
  if (!insert.ok() || insert.Text(1, id).Text(2, owner).Int(3, NowMs()).Step() != SQLITE_DONE)
    return Error("cannot create a store");
  return id;
}

Status ContentStore::CheckStore(const std::string& store_id) {
  Statement select(db_.get(), "SELECT 1 FROM stores WHERE id = ?1");
  if (!select.ok()) return Error("cannot look up store " + store_id);
  int rc = select.Text(1, store_id).Step();
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc == SQLITE_DONE) return Status::Error("no store with id " + store_id);
  return Error("cannot look up store " + store_id);
}

Status ContentStore::CheckLabel(const std::string& label) const {
  if (label.empty()) return Status::Error("a label cannot be empty");
  if (label.size() > kMaxLabelBytes)
    return Status::Error("a label of " + std::to_string(label.size()) + " bytes is longer than " +
                         std::to_string(kMaxLabelBytes));
  return Status::Ok();
}

Result<std::string> ContentStore::Owner(const std::string& store_id) {
  std::lock_guard lock(mu_);
  Statement select(db_.get(), "SELECT owner FROM stores WHERE id = ?1");
  if (!select.ok()) return Error("cannot look up store " + store_id);
  int rc = select.Text(1, store_id).Step();
  if (rc == SQLITE_DONE) return Status::Error("no store with id " + store_id);
  if (rc != SQLITE_ROW) return Error("cannot look up store " + store_id);
  return select.ColumnText(0);
}

Result<uint64_t> ContentStore::TotalSizeLocked(const std::string& store_id) {
  Statement sum(db_.get(), "SELECT COALESCE(SUM(size), 0) FROM content WHERE store = ?1");
  if (!sum.ok() || sum.Text(1, store_id).Step() != SQLITE_ROW) return Error("cannot sum store " + store_id);
  return sum.ColumnInt(0);
}

Result<bool> ContentStore::HasContent(const std::string& store_id, const std::string& ref) {
  Statement select(db_.get(), "SELECT 1 FROM content WHERE store = ?1 AND hash = ?2");
  if (!select.ok()) return Error("cannot look up content " + ref);
  int rc = select.Text(1, store_id).Text(2, ref).Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("cannot look up content " + ref);
  return rc == SQLITE_ROW;
}

Result<std::string> ContentStore::PutLocked(const std::string& store_id, std::span<const uint8_t> content,
                                            uint64_t max_total_size) {
  // SQLite binds blob sizes as int (and caps blobs at 1 GB by default).
  if (content.size() > kMaxContentBytes)
    return Status::Error(std::to_string(content.size()) + " bytes is more than one content may have (" +
                         std::to_string(kMaxContentBytes) + ")");
  std::string ref = RefOf(content);
  auto has = HasContent(store_id, ref);
  if (!has.ok()) return has.status();
  if (*has) return ref;  // stored once
  auto total = TotalSizeLocked(store_id);
  if (!total.ok()) return total.status();
  if (*total + content.size() > max_total_size)
    return Status::Error("storing " + std::to_string(content.size()) + " bytes would bring store " + store_id + " to " +
                         std::to_string(*total + content.size()) + " bytes, over its limit of " +
                         std::to_string(max_total_size) + " (max_total_size)");
  Statement insert(db_.get(), "INSERT INTO content (store, hash, size, data) VALUES (?1, ?2, ?3, ?4)");
  if (!insert.ok() || insert.Text(1, store_id).Text(2, ref).Int(3, content.size()).Blob(4, content).Step() != SQLITE_DONE)
    return Error("cannot store content in store " + store_id);
  return ref;
}

Status ContentStore::ClearLabel(const std::string& store_id, const std::string& label) {
  Statement del(db_.get(), "DELETE FROM labels WHERE store = ?1 AND label = ?2");
  if (!del.ok() || del.Text(1, store_id).Text(2, label).Step() != SQLITE_DONE)
    return Error("cannot clear label `" + label + "`");
  return Status::Ok();
}

Status ContentStore::AppendToLabel(const std::string& store_id, const std::string& label, const std::string& ref) {
  Statement count(db_.get(), "SELECT COUNT(*) FROM labels WHERE store = ?1");
  if (!count.ok() || count.Text(1, store_id).Step() != SQLITE_ROW) return Error("cannot count the labels of store " + store_id);
  if (count.ColumnInt(0) >= kMaxLabelEntries)
    return Status::Error("store " + store_id + " has " + std::to_string(kMaxLabelEntries) +
                         " label entries, the most a store may have");
  Statement insert(db_.get(),
                   "INSERT INTO labels (store, label, pos, hash) SELECT ?1, ?2, COALESCE(MAX(pos), 0) + 1, ?3 "
                   "FROM labels WHERE store = ?1 AND label = ?2");
  if (!insert.ok() || insert.Text(1, store_id).Text(2, label).Text(3, ref).Step() != SQLITE_DONE)
    return Error("cannot label content with `" + label + "`");
  return Status::Ok();
}

Result<std::string> ContentStore::Put(const std::string& store_id, std::span<const uint8_t> content,
                                      uint64_t max_total_size) {
  std::lock_guard lock(mu_);
  Transaction tx(db_.get());
  if (!tx.ok()) return Error("cannot begin a transaction");
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  auto ref = PutLocked(store_id, content, max_total_size);
  if (!ref.ok()) return ref.status();
  if (!tx.Commit()) return Error("cannot commit");
  return ref;
}

Result<std::string> ContentStore::PutAtLabel(const std::string& store_id, const std::string& label,
                                             std::span<const uint8_t> content, uint64_t max_total_size, bool replace) {
  THEATER_RETURN_IF_ERROR(CheckLabel(label));
  std::lock_guard lock(mu_);
  Transaction tx(db_.get());
  if (!tx.ok()) return Error("cannot begin a transaction");
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  auto ref = PutLocked(store_id, content, max_total_size);
  if (!ref.ok()) return ref.status();
  if (replace) THEATER_RETURN_IF_ERROR(ClearLabel(store_id, label));
  THEATER_RETURN_IF_ERROR(AppendToLabel(store_id, label, *ref));
  if (!tx.Commit()) return Error("cannot commit");
  return ref;
}

Result<Bytes> ContentStore::Get(const std::string& store_id, const std::string& ref) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  Statement select(db_.get(), "SELECT data FROM content WHERE store = ?1 AND hash = ?2");
  if (!select.ok()) return Error("cannot read content " + ref);
  int rc = select.Text(1, store_id).Text(2, ref).Step();
  if (rc == SQLITE_DONE) return Status::Error("store " + store_id + " has no content " + ref);
  if (rc != SQLITE_ROW) return Error("cannot read content " + ref);
  return select.ColumnBlob(0);
}

Result<bool> ContentStore::Exists(const std::string& store_id, const std::string& ref) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  return HasContent(store_id, ref);
}

Status ContentStore::SetLabel(const std::string& store_id, const std::string& label, const std::string& ref) {
  THEATER_RETURN_IF_ERROR(CheckLabel(label));
  std::lock_guard lock(mu_);
  Transaction tx(db_.get());
  if (!tx.ok()) return Error("cannot begin a transaction");
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  auto has = HasContent(store_id, ref);
  if (!has.ok()) return has.status();
  if (!*has) return Status::Error("cannot label `" + label + "`: store " + store_id + " has no content " + ref);
  THEATER_RETURN_IF_ERROR(ClearLabel(store_id, label));
  THEATER_RETURN_IF_ERROR(AppendToLabel(store_id, label, ref));
  if (!tx.Commit()) return Error("cannot commit");
  return Status::Ok();
}

Result<std::optional<std::string>> ContentStore::GetLabel(const std::string& store_id, const std::string& label) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  Statement select(db_.get(), "SELECT hash FROM labels WHERE store = ?1 AND label = ?2 ORDER BY pos DESC LIMIT 1");
  if (!select.ok()) return Error("cannot read label `" + label + "`");
  int rc = select.Text(1, store_id).Text(2, label).Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error("cannot read label `" + label + "`");
  return std::optional<std::string>(select.ColumnText(0));
}

Status ContentStore::RemoveLabel(const std::string& store_id, const std::string& label) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  return ClearLabel(store_id, label);
}

Status ContentStore::RemoveFromLabel(const std::string& store_id, const std::string& label, const std::string& ref) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  Statement del(db_.get(), "DELETE FROM labels WHERE store = ?1 AND label = ?2 AND hash = ?3");
  if (!del.ok() || del.Text(1, store_id).Text(2, label).Text(3, ref).Step() != SQLITE_DONE)
    return Error("cannot remove " + ref + " from label `" + label + "`");
  return Status::Ok();
}

Result<std::vector<std::string>> ContentStore::Labels(const std::string& store_id) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  Statement select(db_.get(), "SELECT DISTINCT label FROM labels WHERE store = ?1 ORDER BY label");
  if (!select.ok()) return Error("cannot list labels");
  select.Text(1, store_id);
  std::vector<std::string> out;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) out.push_back(select.ColumnText(0));
  if (rc != SQLITE_DONE) return Error("cannot list labels");
  return out;
}

Result<std::vector<std::string>> ContentStore::AllContent(const std::string& store_id) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  Statement select(db_.get(), "SELECT hash FROM content WHERE store = ?1 ORDER BY ord");
  if (!select.ok()) return Error("cannot list content");
  select.Text(1, store_id);
  std::vector<std::string> out;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) out.push_back(select.ColumnText(0));
  if (rc != SQLITE_DONE) return Error("cannot list content");
  return out;
}

Result<uint64_t> ContentStore::TotalSize(const std::string& store_id) {
  std::lock_guard lock(mu_);
  THEATER_RETURN_IF_ERROR(CheckStore(store_id));
  return TotalSizeLocked(store_id);
}

Result<Bytes> ContentStore::Read(std::string_view reference) {
  auto ref = ParseStoreReference(reference);
  if (!ref.ok()) return ref.status();
  auto hash = GetLabel(ref->store_id, ref->label);
  if (!hash.ok()) return Status::Error(std::string(reference) + ": " + hash.error());
  if (!*hash) return Status::Error(std::string(reference) + ": store " + ref->store_id + " has no label `" + ref->label + "`");
  auto bytes = Get(ref->store_id, **hash);
  if (!bytes.ok()) return Status::Error(std::string(reference) + ": " + bytes.error());
  return bytes;
}

}  // namespace theater
