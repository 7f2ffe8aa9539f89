#include "io/sqlite_statement.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/errors.h"

namespace sm4::sqlite {
namespace {

// Long enough to ride out another sm4 process committing a batch of metrics or a checkpoint.
constexpr int kBusyTimeoutMs = 10000;

std::string describe(std::string_view what, std::string_view detail, const std::filesystem::path& path) {
    return fmt::format("{}: {}: {}", path.string(), what, detail);
}

[[noreturn]] void throw_message(const std::string& message, Failure failure) {
    if (failure == Failure::Usage) throw UsageError(message);
    throw IoError(message);
}

}  // namespace

void throw_error(sqlite3* db, const std::filesystem::path& path, std::string_view what, Failure failure) {
    throw_message(describe(what, db ? sqlite3_errmsg(db) : "out of memory", path), failure);
}

sqlite3* open(const std::filesystem::path& path, int flags) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 hands back a handle even on failure; it carries the message and must be closed.
        const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        throw IoError(describe("cannot open the results database", detail, path));
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    return db;
}

void close(sqlite3* db) {
    // close_v2 defers the close until any statement still alive is finalized, so it never fails.
    if (db) sqlite3_close_v2(db);
}

void exec(sqlite3* db, const std::filesystem::path& path, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw_error(db, path, "SQLite error");
}

Statement::Statement(sqlite3* db, const std::filesystem::path& path, std::string_view sql, Failure failure)
    : db_(db), path_(path), failure_(failure) {
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, &tail) != SQLITE_OK)
        throw_error(db, path, failure == Failure::Usage ? "bad query" : "SQLite error", failure);
    const auto used = static_cast<std::size_t>(tail - sql.data());
    tail_ = sql.substr(used);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::check_bind(int rc, int index) {
    if (rc != SQLITE_OK) throw_error(db_, path_, fmt::format("cannot bind parameter {}", index), failure_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    check_bind(sqlite3_bind_double(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT), index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index), index);
    return *this;
}

bool Statement::step() {
    if (!stmt_) return false;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(db_, path_, failure_ == Failure::Usage ? "query failed" : "SQLite error", failure_);
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    // The step's error was already thrown by step(); reset only repeats it.
    sqlite3_reset(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string Statement::column_name(int column) const {
    const char* name = sqlite3_column_name(stmt_, column);
    return name ? name : "";
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* chars = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!chars) return "";
    return std::string(chars, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::display(int column) const {
    switch (sqlite3_column_type(stmt_, column)) {
        case SQLITE_NULL: return "NULL";
        case SQLITE_INTEGER: return std::to_string(int64(column));
        case SQLITE_FLOAT: return fmt::format("{}", real(column));
        case SQLITE_BLOB: {
            // Written the way SQL spells a blob literal, so it is unambiguous next to text.
            const auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, column));
            const int size = sqlite3_column_bytes(stmt_, column);
            std::string hex = "X'";
            for (int i = 0; i < size; ++i) hex += fmt::format("{:02X}", bytes[i]);
            return hex + "'";
        }
        default: return text(column);
    }
}

bool Statement::read_only() const { return !stmt_ || sqlite3_stmt_readonly(stmt_) != 0; }

Transaction::Transaction(sqlite3* db, const std::filesystem::path& path) : db_(db), path_(path) {
    exec(db_, path_, "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    exec(db_, path_, "COMMIT");
    done_ = true;
}

}  // namespace sm4::sqlite
