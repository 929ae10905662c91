// How Theater's embedded SQLite databases (actors.db, store.db) are brought up: one place
// for the busy timeout, the schema-version check, WAL mode and creating the schema.
#pragma once

#include <sqlite3.h>

#include <filesystem>

#include "common/status.h"

namespace theater {

// Refuses a file whose schema is newer than `schema_version`, switches to WAL with
// synchronous=NORMAL (readers do not block the writer; a commit survives a crash of the
// process, which is what the chains promise too), and creates `schema` in one transaction
// when the file is new. Errors name `file`.
Status PrepareDatabase(sqlite3* db, const std::filesystem::path& file, const char* schema, int schema_version);

}  // namespace theater
