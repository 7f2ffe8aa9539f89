// ResultsDb's merge_results: shard databases of one sweep into one. The output connection
// attaches each input read-only and copies with INSERT ... SELECT, mapping old run ids to new
// ones through a temporary table.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <string_view>

#include "core/errors.h"
#include "io/results_db.h"
#include "io/sqlite_statement.h"

namespace sm4 {
namespace {

using sqlite::Statement;

// A file: URI that opens `path` read-only (ATTACH takes a URI when the connection allows them).
std::string read_only_uri(const std::filesystem::path& path) {
    std::string uri = "file:";
    for (unsigned char ch : path.string()) {
        if (std::isalnum(ch) || std::string_view("/-._~").find(static_cast<char>(ch)) != std::string_view::npos)
            uri += static_cast<char>(ch);
        else
            uri += fmt::format("%{:02X}", ch);
    }
    return uri + "?mode=ro";
}

// The input attached as "input" for the life of this object.
class Attached {
public:
    Attached(sqlite3* db, const std::filesystem::path& output, const std::filesystem::path& input)
        : db_(db), output_(output) {
        Statement attach(db_, output_, "ATTACH DATABASE ?1 AS input");
        attach.bind(1, read_only_uri(input)).run();
    }
    ~Attached() { sqlite3_exec(db_, "DETACH DATABASE input", nullptr, nullptr, nullptr); }
    Attached(const Attached&) = delete;
    Attached& operator=(const Attached&) = delete;

private:
    sqlite3* db_;
    std::filesystem::path output_;
};

// The input's schema version, read through a read-only connection of its own so a bad input is
// reported under its own name before the output is touched.
int input_version(const std::filesystem::path& input) {
    if (!std::filesystem::is_regular_file(input))
        throw IoError(fmt::format("{}: no such results database", input.string()));
    sqlite3* db = sqlite::open(input, SQLITE_OPEN_READONLY);
    int version = 0;
    try {
        Statement table(db, input, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
        if (!table.step() || table.int64(0) == 0)
            throw IoError(fmt::format("{}: not an sm4 results database (it has no schema_version table)", input.string()));
        Statement select(db, input, "SELECT max(version) FROM schema_version");
        version = select.step() ? static_cast<int>(select.int64(0)) : 0;
    } catch (...) {
        sqlite::close(db);
        throw;
    }
    sqlite::close(db);
    if (version > ResultsDb::kSchemaVersion)
        throw IoError(fmt::format("{}: the results database has schema version {}, newer than version {} that this sm4 "
                                  "knows; use a newer sm4",
                                  input.string(), version, ResultsDb::kSchemaVersion));
    return version;
}

// Copies the runs and records which new id each old one got in temp.run_ids.
std::int64_t copy_runs(sqlite3* db, const std::filesystem::path& output, int version) {
    sqlite::exec(db, output, "CREATE TEMP TABLE IF NOT EXISTS run_ids (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)");
    sqlite::exec(db, output, "DELETE FROM temp.run_ids");
    const std::string sweep_columns = version >= 2 ? "sweep, variant, config_hash" : "'', '', ''";
    const std::string world_columns = version >= 4 ? "world_size, dist_backend" : "1, ''";
    // A run keeps the folder it claimed; older runs (no folder column) keep theirs only while
    // their new id equals the old one (run_folder falls back to <runs_dir>/<id>).
    const std::string folder_column = version >= 5 ? "folder" : "''";
    const std::string design_column = version >= 6 ? "design" : "1";
    Statement insert(db, output,
                     "INSERT INTO main.runs (name, experiment, status, created_at, finished_at, config_toml, seed, "
                     "git_revision, build_info, host, message, sweep, variant, config_hash, world_size, dist_backend, folder, design) "
                     "SELECT name, experiment, status, created_at, finished_at, config_toml, seed, git_revision, "
                     "build_info, host, message, " + sweep_columns + ", " + world_columns + ", " + folder_column + ", " + design_column +
                     " FROM input.runs WHERE id = ?1");
    Statement remember(db, output, "INSERT INTO temp.run_ids (old, new) VALUES (?1, ?2)");
    Statement ids(db, output, "SELECT id FROM input.runs ORDER BY id");
    std::int64_t runs = 0;
    while (ids.step()) {
        insert.bind(1, ids.int64(0)).run();
        insert.reset();
        remember.bind(1, ids.int64(0)).bind(2, static_cast<std::int64_t>(sqlite3_last_insert_rowid(db))).run();
        remember.reset();
        ++runs;
    }
    return runs;
}

// Copies the rows of a per-run table, their run_id mapped to the new id; returns how many.
std::int64_t copy_rows(sqlite3* db, const std::filesystem::path& output, const std::string& table,
                       const std::string& columns) {
    Statement copy(db, output,
                   fmt::format("INSERT INTO main.{0} (run_id, {1}) SELECT r.new, {1} FROM input.{0} "
                               "JOIN temp.run_ids r ON r.old = input.{0}.run_id ORDER BY input.{0}.rowid",
                               table, columns));
    copy.run();
    return sqlite3_changes(db);
}

void merge_one(sqlite3* db, const std::filesystem::path& output, const std::filesystem::path& input, int version,
               MergeCounts& counts) {
    const Attached attached(db, output, input);
    sqlite::Transaction transaction(db, output);
    counts.runs += copy_runs(db, output, version);
    counts.metrics += copy_rows(db, output, "metrics", "step, epoch, split, task, name, value, source");
    counts.checkpoints += copy_rows(db, output, "checkpoints", "epoch, step, path, val_score, is_best, created_at");
    if (version >= 2)
        counts.allocations += copy_rows(db, output, "allocations",
                                        "modality, candidate, train_loss, val_loss, gap, chosen, probe_seconds");
    if (version >= 7)
        counts.modality_epochs += copy_rows(db, output, "modality_epochs",
                                            "epoch, step, slot, top_k, val_loss, train_loss, routing_entropy, pace_weight, "
                                            "aea_frozen");
    if (version >= 8) {
        Statement reuses(db, output,
                         "INSERT OR IGNORE INTO main.sweep_reuses (sweep, variant, run_id) SELECT s.sweep, s.variant, r.new "
                         "FROM input.sweep_reuses s JOIN temp.run_ids r ON r.old = s.run_id ORDER BY s.rowid");
        reuses.run();
    }
    if (version >= 3)
        counts.flops += copy_rows(db, output, "flops",
                                  "config_hash, model, task, modality, component, params, active_params, flops, "
                                  "measured_flops");
    transaction.commit();
}

}  // namespace

MergeCounts merge_results(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& output) {
    std::vector<int> versions;
    for (const auto& input : inputs) {
        std::error_code ec;
        if (std::filesystem::equivalent(input, output, ec))
            throw UsageError(fmt::format("{} is both an input and the output; merge into another file", input.string()));
        versions.push_back(input_version(input));
    }
    { const ResultsDb created(output); }  // the schema, at this sm4's version
    sqlite3* db = sqlite::open(output, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI);
    MergeCounts counts;
    try {
        for (std::size_t i = 0; i < inputs.size(); ++i) merge_one(db, output, inputs[i], versions[i], counts);
    } catch (...) {
        sqlite::close(db);
        throw;
    }
    sqlite::close(db);
    return counts;
}

}  // namespace sm4
