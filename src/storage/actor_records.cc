#include "storage/actor_records.h"
#include "storage/sqlite_schema.h"

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <unordered_map>

namespace theater {
namespace {

// PRAGMA user_version of the schema below; a newer file is refused, not misread.
constexpr int kSchemaVersion = 1;

// `ord` is the insertion order: AUTOINCREMENT never hands out a number twice, and an
// upsert keeps the row (and its number).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS actors (
  ord        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  parent     TEXT NOT NULL,
  manifest   TEXT NOT NULL,
  status     TEXT NOT NULL,
  reason     TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
)sql";

constexpr const char* kColumns = "SELECT id, parent, manifest, status, reason, created_ms, updated_ms, ord FROM actors";

uint64_t NowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool ValidStatus(const std::string& status) { return status == "running" || status == "stopped" || status == "failed"; }

// Resets a statement when the call that used it ends, so it holds no lock on the file.
class Reset {
 public:
  explicit Reset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

int BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt, column)) : std::string();
}

}  // namespace

void ActorRecords::CloseDb::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void ActorRecords::Finalize::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Result<std::unique_ptr<ActorRecords>> ActorRecords::Open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  Db db(raw);  // even a failed open gives a handle to close
  if (rc != SQLITE_OK)
    return Status::Error(file.string() + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  std::unique_ptr<ActorRecords> records(new ActorRecords(file, std::move(db)));
  THEATER_RETURN_IF_ERROR(records->Init());
  return records;
}

ActorRecords::~ActorRecords() = default;

Status ActorRecords::Error(const std::string& what) const {
  return Status::Error(file_.string() + ": " + what + ": " + sqlite3_errmsg(db_.get()));
}

Result<ActorRecords::Statement> ActorRecords::Prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql, -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error("cannot prepare a statement");
  }
  return Statement(stmt);
}

Status ActorRecords::Init() {
  THEATER_RETURN_IF_ERROR(PrepareDatabase(db_.get(), file_, kSchema, kSchemaVersion));
  struct {
    Statement* slot;
    std::string sql;
  } statements[] = {
      {&put_,
       "INSERT INTO actors (id, parent, manifest, status, reason, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
       "ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, manifest = excluded.manifest, "
       "status = excluded.status, reason = excluded.reason, updated_ms = excluded.updated_ms"},
      {&set_status_, "UPDATE actors SET status = ?2, reason = ?3, updated_ms = ?4 WHERE id = ?1"},
      {&running_, std::string(kColumns) + " WHERE status = 'running' ORDER BY ord"},
      {&all_, std::string(kColumns) + " ORDER BY ord"},
      {&forget_, "DELETE FROM actors WHERE id = ?1"},
      {&clear_, "DELETE FROM actors"},
  };
  for (auto& [slot, sql] : statements) {
    auto prepared = Prepare(sql.c_str());
    if (!prepared.ok()) return prepared.status();
    *slot = std::move(*prepared);
  }
  return Status::Ok();
}

Status ActorRecords::Put(const ActorRecord& record) {
  if (record.id.empty()) return Status::Error(file_.string() + ": a record needs an actor id");
  if (!ValidStatus(record.status))
    return Status::Error(file_.string() + ": actor " + record.id + ": status `" + record.status +
                         "` is none of running, stopped, failed");
  uint64_t now = NowMs();
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = put_.get();
  Reset reset(stmt);
  BindText(stmt, 1, record.id);
  BindText(stmt, 2, record.parent);
  BindText(stmt, 3, record.manifest);
  BindText(stmt, 4, record.status);
  BindText(stmt, 5, record.reason);
  sqlite3_bind_int64(stmt, 6, static_cast<sqlite3_int64>(record.created_ms ? record.created_ms : now));
  sqlite3_bind_int64(stmt, 7, static_cast<sqlite3_int64>(record.updated_ms ? record.updated_ms : now));
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("cannot save actor " + record.id);
  return Status::Ok();
}

Status ActorRecords::SetStatus(const std::string& id, const std::string& status, const std::string& reason) {
  if (!ValidStatus(status))
    return Status::Error(file_.string() + ": actor " + id + ": status `" + status + "` is none of running, stopped, failed");
  uint64_t now = NowMs();
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = set_status_.get();
  Reset reset(stmt);
  BindText(stmt, 1, id);
  BindText(stmt, 2, status);
  BindText(stmt, 3, reason);
  sqlite3_bind_int64(stmt, 4, static_cast<sqlite3_int64>(now));
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("cannot update actor " + id);
  if (sqlite3_changes(db_.get()) == 0) return Status::Error(file_.string() + ": no record of actor " + id);
  return Status::Ok();
}

Result<std::vector<ActorRecord>> ActorRecords::Select(sqlite3_stmt* stmt) {
  Reset reset(stmt);
  std::vector<ActorRecord> out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ActorRecord r;
    r.id = ColumnText(stmt, 0);
    r.parent = ColumnText(stmt, 1);
    r.manifest = ColumnText(stmt, 2);
    r.status = ColumnText(stmt, 3);
    r.reason = ColumnText(stmt, 4);
    r.created_ms = static_cast<uint64_t>(sqlite3_column_int64(stmt, 5));
    r.updated_ms = static_cast<uint64_t>(sqlite3_column_int64(stmt, 6));
    r.order = static_cast<uint64_t>(sqlite3_column_int64(stmt, 7));
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return Error("cannot read the actors");
  return out;
}

Result<std::vector<ActorRecord>> ActorRecords::Running() {
  std::vector<ActorRecord> rows;
  {
    std::lock_guard lock(mu_);
    auto selected = Select(running_.get());
    if (!selected.ok()) return selected.status();
    rows = std::move(*selected);
  }
  // Insertion order already puts parents first, unless a parent's record was forgotten
  // and put again after its children: then the parent is moved up before them.
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < rows.size(); ++i) index[rows[i].id] = i;
  std::vector<ActorRecord> out;
  std::vector<bool> seen(rows.size(), false);
  std::function<void(size_t)> place = [&](size_t i) {
    if (seen[i]) return;  // placed already, or a cycle (which only a damaged file can hold)
    seen[i] = true;
    if (auto parent = index.find(rows[i].parent); parent != index.end()) place(parent->second);
    out.push_back(rows[i]);
  };
  for (size_t i = 0; i < rows.size(); ++i) place(i);
  return out;
}

Result<std::vector<ActorRecord>> ActorRecords::All() {
  std::lock_guard lock(mu_);
  return Select(all_.get());
}

Status ActorRecords::Forget(const std::string& id) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = forget_.get();
  Reset reset(stmt);
  BindText(stmt, 1, id);
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("cannot forget actor " + id);
  return Status::Ok();
}

Status ActorRecords::Clear() {
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = clear_.get();
  Reset reset(stmt);
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("cannot clear the actors");
  return Status::Ok();
}

}  // namespace theater
