// ResultsDb::query, the SQL a person types into `sm4 runs query`. A connection of its own, opened
// read-only, is what keeps it from changing the file; sqlite3_stmt_readonly then refuses what
// would write anyway, with a clearer message than SQLite's, and what a read-only connection
// still allows: VACUUM INTO writes a new file. An authorizer refuses ATTACH, which would reach
// other files.
#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>

#include "core/errors.h"
#include "io/results_db.h"
#include "io/sqlite_statement.h"

namespace sm4 {
namespace {

struct ReadOnlyGuard {
    bool denied = false;  // the statement asked for something refused below
    // PRAGMAs count as writing even when they only read (PRAGMA journal_mode); the read-only
    // connection stops the ones that would write.
    bool pragma = false;
};

int authorize(void* data, int action, const char*, const char*, const char*, const char*) {
    auto& guard = *static_cast<ReadOnlyGuard*>(data);
    if (action == SQLITE_PRAGMA) guard.pragma = true;
    if (action != SQLITE_ATTACH) return SQLITE_OK;
    guard.denied = true;
    return SQLITE_DENY;
}

UsageError writes_error(const std::filesystem::path& path) {
    return UsageError(fmt::format("{}: `sm4 runs query` only reads, and this statement would write; use the sqlite3 "
                                  "shell to change the database",
                                  path.string()));
}

}  // namespace

QueryResult ResultsDb::query(const std::string& sql) const {
    const std::unique_ptr<sqlite3, void (*)(sqlite3*)> reader(sqlite::open(path_, SQLITE_OPEN_READONLY),
                                                               sqlite::close);
    ReadOnlyGuard guard;
    sqlite3_set_authorizer(reader.get(), authorize, &guard);

    std::unique_ptr<sqlite::Statement> statement;
    try {
        statement = std::make_unique<sqlite::Statement>(reader.get(), path_, sql, sqlite::Failure::Usage);
    } catch (const UsageError&) {
        if (guard.denied)
            throw UsageError(fmt::format("{}: `sm4 runs query` reads this database only; ATTACH is refused",
                                         path_.string()));
        throw;
    }
    if (statement->empty()) throw UsageError(fmt::format("{}: the query holds no SQL statement", path_.string()));
    if (!statement->read_only() && !guard.pragma) throw writes_error(path_);

    // Whatever follows must be only whitespace, semicolons or comments: preparing it yields nothing.
    bool one_statement = true;
    try {
        one_statement = sqlite::Statement(reader.get(), path_, statement->tail(), sqlite::Failure::Usage).empty();
    } catch (const UsageError&) {
        one_statement = false;
    }
    if (!one_statement)
        throw UsageError(fmt::format("{}: the query holds more than one SQL statement; give one at a time",
                                     path_.string()));

    QueryResult result;
    const int columns = statement->column_count();
    for (int c = 0; c < columns; ++c) result.columns.push_back(statement->column_name(c));
    try {
        while (statement->step()) {
            std::vector<std::string> row;
            for (int c = 0; c < columns; ++c) row.push_back(statement->display(c));
            result.rows.push_back(std::move(row));
        }
    } catch (const UsageError&) {
        // A PRAGMA that may write and fails on the read-only connection failed because it writes
        // (SQLite itself reports something as vague as "disk I/O error").
        if (!statement->read_only()) throw writes_error(path_);
        throw;
    }
    return result;
}

}  // namespace sm4
