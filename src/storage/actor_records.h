// What a Theater server remembers of its actors across restarts: one row per actor (id,
// parent, manifest, status), so that when it starts again it can bring back the ones that
// were running (ActorSystem::Revive). The chains stay in their files; this is only the
// list of actors, in one SQLite database (the server keeps it in <data-dir>/actors.db).
//
// Thread-safe: every call takes the object's lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace theater {

struct ActorRecord {
  std::string id;
  std::string parent;    // empty for an actor started from outside
  std::string manifest;  // absolute path
  std::string status;    // "running" | "stopped" | "failed"
  std::string reason;    // why it stopped or failed (or was revived)
  uint64_t created_ms = 0;  // Unix ms; kept when the record is replaced
  uint64_t updated_ms = 0;  // Unix ms of the last change
  uint64_t order = 0;       // insertion order; kept when the record is replaced
};

class ActorRecords {
 public:
  // Opens (or creates) the database and its schema. A file that is not such a database is
  // an error naming it.
  static Result<std::unique_ptr<ActorRecords>> Open(const std::filesystem::path& file);
  ~ActorRecords();
  ActorRecords(const ActorRecords&) = delete;
  ActorRecords& operator=(const ActorRecords&) = delete;

  // Inserts the record, or replaces the one with its id (which keeps its order and
  // created_ms). `order` is assigned; zero times mean now.
  Status Put(const ActorRecord& record);
  // An error when there is no record of `id`.
  Status SetStatus(const std::string& id, const std::string& status, const std::string& reason);
  // The records with status "running", parents before their children, otherwise in
  // insertion order: the order in which to revive them.
  Result<std::vector<ActorRecord>> Running();
  Result<std::vector<ActorRecord>> All();  // in insertion order
  Status Forget(const std::string& id);    // no record of `id` is fine
  Status Clear();                          // forgets every actor

  const std::filesystem::path& file() const { return file_; }

 private:
  struct CloseDb {
    void operator()(sqlite3* db) const;
  };
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Db = std::unique_ptr<sqlite3, CloseDb>;
  using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

  ActorRecords(std::filesystem::path file, Db db) : file_(std::move(file)), db_(std::move(db)) {}
  Status Init();  // pragmas, schema, prepared statements
  Result<Statement> Prepare(const char* sql);
  Status Error(const std::string& what) const;  // names the file and sqlite's message
  Result<std::vector<ActorRecord>> Select(sqlite3_stmt* stmt);  // mu_ held

  std::filesystem::path file_;
  std::mutex mu_;
  Db db_;  // declared first: it closes after the statements are finalized
  Statement put_, set_status_, running_, all_, forget_, clear_;
};

}  // namespace theater
