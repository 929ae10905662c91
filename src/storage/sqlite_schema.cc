#include "storage/sqlite_schema.h"

#include <string>

namespace theater {
namespace {

constexpr int kBusyTimeoutMs = 5000;  // another process (the CLI, a server) holds the write lock

}  // namespace

Status PrepareDatabase(sqlite3* db, const std::filesystem::path& file, const char* schema, int schema_version) {
  auto error = [&](const std::string& what) {
    return Status::Error(file.string() + ": " + what + ": " + sqlite3_errmsg(db));
  };
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // The first statement reads the file: this is where a file that is no database fails.
  sqlite3_stmt* version = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr) != SQLITE_OK ||
      sqlite3_step(version) != SQLITE_ROW) {
    sqlite3_finalize(version);
    return error("cannot read the schema version");
  }
  int found = sqlite3_column_int(version, 0);
  sqlite3_finalize(version);
  if (found > schema_version)
    return Status::Error(file.string() + ": schema version " + std::to_string(found) +
                         " is newer than this Theater understands (" + std::to_string(schema_version) + ")");
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK)
    return error("cannot switch to WAL mode");
  if (sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK)
    return error("cannot set synchronous=NORMAL");
  if (found < schema_version) {
    std::string sql = std::string("BEGIN;") + schema + "PRAGMA user_version=" + std::to_string(schema_version) + ";COMMIT;";
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status s = error("cannot create the schema");
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace theater
