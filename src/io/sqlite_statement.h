// RAII over the SQLite C API for the results store: a connection, a prepared statement with
// bound parameters, and a transaction that rolls back unless committed. Every failure becomes a
// typed sm4 error naming the database file and carrying sqlite3_errmsg.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace sm4::sqlite {

// Which sm4 error a failure becomes: storage failures are IoError; the SQL a user typed into
// `sm4 runs query` failing is their mistake, a UsageError.
enum class Failure { Io, Usage };

// Throws the error of `failure` as "<path>: <what>: <sqlite3_errmsg(db)>".
[[noreturn]] void throw_error(sqlite3* db, const std::filesystem::path& path, std::string_view what,
                              Failure failure = Failure::Io);

// Opens `path` with sqlite3_open_v2 `flags` and a busy timeout; closes the handle on failure.
sqlite3* open(const std::filesystem::path& path, int flags);
void close(sqlite3* db);  // null is fine

// Runs fixed SQL without parameters (pragmas, DDL, BEGIN/COMMIT); may hold several statements.
void exec(sqlite3* db, const std::filesystem::path& path, const char* sql);

class Statement {
public:
    // Prepares the first statement of `sql`; the rest, if any, is left in tail(), which views
    // into `sql` (so keep `sql` alive while using it).
    Statement(sqlite3* db, const std::filesystem::path& path, std::string_view sql, Failure failure = Failure::Io);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are numbered from 1, as in SQLite's ?1 ?2 ...
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind_null(int index);

    bool step();  // true while a row is available
    void run();   // steps to completion, for statements that return no rows
    void reset();  // ready to bind and run again (bindings are replaced, not cleared)

    // Columns are numbered from 0.
    int column_count() const;
    std::string column_name(int column) const;
    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;  // "" for NULL
    // The value as a person reads it: integers exactly, reals shortest round-trip, NULL as "NULL".
    std::string display(int column) const;

    bool empty() const { return stmt_ == nullptr; }  // the SQL was only whitespace or comments
    std::string_view tail() const { return tail_; }  // unparsed remainder of the SQL
    bool read_only() const;  // sqlite3_stmt_readonly: the statement cannot change the file

private:
    void check_bind(int rc, int index);

    sqlite3* db_;
    std::filesystem::path path_;
    Failure failure_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string_view tail_;
};

// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that later upgrades to
// write can fail with SQLITE_BUSY at once in WAL mode, without waiting out the busy timeout.
class Transaction {
public:
    Transaction(sqlite3* db, const std::filesystem::path& path);
    ~Transaction();  // rolls back unless committed
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    sqlite3* db_;
    std::filesystem::path path_;
    bool done_ = false;
};

}  // namespace sm4::sqlite
