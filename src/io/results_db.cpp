#include "io/results_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>
#include <thread>

#include "core/errors.h"
#include "io/sqlite_statement.h"

namespace sm4 {
namespace {

using sqlite::Statement;

// kMigrations[v] takes the schema from version v to v + 1, all steps inside one transaction.
// Append new steps; never edit old ones, since existing files were built by them.
constexpr const char* kMigrations[] = {
    // 0 -> 1: runs, their metrics and their checkpoints. The column names are a public
    // interface: people query them with the sqlite3 shell and pandas.
    R"sql(
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    experiment TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    created_at TEXT NOT NULL,
    finished_at TEXT,
    config_toml TEXT NOT NULL,
    seed INTEGER NOT NULL,
    git_revision TEXT NOT NULL,
    build_info TEXT NOT NULL,
    host TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    split TEXT NOT NULL,
    task TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    source TEXT NOT NULL DEFAULT 'train'
);
CREATE INDEX metrics_by_run_split_task_name ON metrics (run_id, split, task, name);
CREATE TABLE checkpoints (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,
    val_score REAL NOT NULL,
    is_best INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
-- Without it, deleting a run scans every checkpoint to cascade.
CREATE INDEX checkpoints_by_run ON checkpoints (run_id);
)sql",
    // 1 -> 2: sweeps (which sweep and variant a run belongs to, and the hash of its resolved
    // config, so a re-run sweep finds its finished runs) and SM4's adaptive expert allocation.
    R"sql(
ALTER TABLE runs ADD COLUMN sweep TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN variant TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN config_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_config_hash ON runs (config_hash);
CREATE TABLE allocations (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    modality TEXT NOT NULL,
    candidate INTEGER NOT NULL,
    train_loss REAL NOT NULL,
    val_loss REAL NOT NULL,
    gap REAL NOT NULL,
    chosen INTEGER NOT NULL,
    probe_seconds REAL NOT NULL
);
CREATE INDEX allocations_by_run ON allocations (run_id);
)sql",
    // 2 -> 3: parameter and FLOP accounting (`sm4 flops`), per task, modality and component, for
    // the configured model and its dense counterpart.
    R"sql(
CREATE TABLE flops (
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    config_hash TEXT NOT NULL,
    model TEXT NOT NULL CHECK (model IN ('configured', 'dense')),
    task TEXT NOT NULL,
    modality TEXT NOT NULL,
    component TEXT NOT NULL,
    params INTEGER NOT NULL,
    active_params REAL NOT NULL,
    flops REAL NOT NULL,
    measured_flops REAL
);
CREATE INDEX flops_by_run ON flops (run_id);
CREATE INDEX flops_by_config_hash ON flops (config_hash);
)sql",
    // 3 -> 4: data-parallel training: how many ranks trained a run and on which c10d backend
    // ("" for a single process).
    R"sql(
ALTER TABLE runs ADD COLUMN world_size INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN dist_backend TEXT NOT NULL DEFAULT '';
)sql",
    // 4 -> 5: the run folder a run claimed (its checkpoints and trace.h5); '' for older runs,
    // whose folder is <output.runs_dir>/<id>.
    R"sql(
ALTER TABLE runs ADD COLUMN folder TEXT NOT NULL DEFAULT '';
)sql",
    // 5 -> 6: which design of sm4's networks trained a run: 1 for every run before (sm4's own
    // design, before the paper's full text: a per-modality expert partition, no unimodal
    // encoder), 2 for the paper's network (docs/sm4.md).
    R"sql(
ALTER TABLE runs ADD COLUMN design INTEGER NOT NULL DEFAULT 1;
)sql",
    // 6 -> 7: one row per run, epoch and modality slot of what AEA (Algorithm 3) and ALP
    // (Algorithm 4) read and decided: the k and the pace weight the epoch trained with, the
    // slot's validation and training loss after it, its routing entropy over it.
    R"sql(
CREATE TABLE modality_epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    slot TEXT NOT NULL,
    top_k INTEGER NOT NULL,
    val_loss REAL,
    train_loss REAL,
    routing_entropy REAL,
    pace_weight REAL NOT NULL,
    aea_frozen INTEGER NOT NULL
);
CREATE INDEX modality_epochs_by_run ON modality_epochs (run_id);
)sql",
    // 7 -> 8: runs a sweep took as done from another sweep of the same database (the same
    // config hash), under the variant name this sweep gives them, so the sweep's report holds them.
    R"sql(
CREATE TABLE sweep_reuses (
    sweep TEXT NOT NULL,
    variant TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    PRIMARY KEY (sweep, variant, run_id)
);
)sql",
};
static_assert(std::size(kMigrations) == ResultsDb::kSchemaVersion, "one migration step per schema version");

// ISO 8601 UTC with seconds, e.g. 2026-11-22T04:51:02Z, computed by SQLite inside the statement.
#define SM4_NOW_UTC "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

constexpr const char* kRunColumns =
    "id, name, experiment, status, created_at, finished_at, config_toml, seed, git_revision, build_info, host, "
    "message, sweep, variant, config_hash, world_size, dist_backend, folder, design";

int stored_version(sqlite3* db, const std::filesystem::path& path) {
    Statement exists(db, path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!exists.step() || exists.int64(0) == 0) return 0;
    Statement version(db, path, "SELECT max(version) FROM schema_version");
    return version.step() && !version.is_null(0) ? static_cast<int>(version.int64(0)) : 0;
}

void check_not_newer(int version, const std::filesystem::path& path) {
    if (version > ResultsDb::kSchemaVersion)
        throw IoError(fmt::format("{}: the results database has schema version {}, newer than version {} that this sm4 "
                                  "knows; use a newer sm4",
                                  path.string(), version, ResultsDb::kSchemaVersion));
}

void migrate(sqlite3* db, const std::filesystem::path& path) {
    // Reading first keeps an up-to-date file from taking the write lock on every open.
    int version = stored_version(db, path);
    check_not_newer(version, path);
    if (version == ResultsDb::kSchemaVersion) return;

    sqlite::Transaction transaction(db, path);
    sqlite::exec(db, path, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    // Another process may have migrated while this one waited for the lock.
    version = stored_version(db, path);
    check_not_newer(version, path);
    for (int step = version; step < ResultsDb::kSchemaVersion; ++step) sqlite::exec(db, path, kMigrations[step]);
    sqlite::exec(db, path, "DELETE FROM schema_version");
    Statement insert(db, path, "INSERT INTO schema_version (version) VALUES (?1)");
    insert.bind(1, std::int64_t{ResultsDb::kSchemaVersion}).run();
    transaction.commit();
}

RunRecord read_run(const Statement& row) {
    RunRecord run;
    run.id = row.int64(0);
    run.name = row.text(1);
    run.experiment = row.text(2);
    run.status = row.text(3);
    run.created_at = row.text(4);
    run.finished_at = row.text(5);
    run.config_toml = row.text(6);
    run.seed = row.int64(7);
    run.git_revision = row.text(8);
    run.build_info = row.text(9);
    run.host = row.text(10);
    run.message = row.text(11);
    run.sweep = row.text(12);
    run.variant = row.text(13);
    run.config_hash = row.text(14);
    run.world_size = row.int64(15);
    run.dist_backend = row.text(16);
    run.folder = row.text(17);
    run.design = row.int64(18);
    return run;
}

}  // namespace

ResultsDb::ResultsDb(const std::filesystem::path& path) : path_(path) {
    const auto parent = path_.parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) throw IoError(fmt::format("{}: cannot create folder: {}", parent.string(), ec.message()));
    }
    db_ = sqlite::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    // Processes opening one new file at once can be told "locked" without a busy wait (a lock
    // upgrade SQLite refuses outright rather than risk a deadlock): the opening is retried then,
    // within the busy timeout's 10 s.
    const auto start = std::chrono::steady_clock::now();
    try {
        for (;;) {
            try {
                // WAL lets `sm4 runs` read while a training run writes, and several writers take turns.
                sqlite::exec(db_, path_, "PRAGMA journal_mode=WAL");
                sqlite::exec(db_, path_, "PRAGMA foreign_keys=ON");
                migrate(db_, path_);
                break;
            } catch (const IoError&) {
                const int code = sqlite3_extended_errcode(db_) & 0xff;
                const bool contended = code == SQLITE_BUSY || code == SQLITE_LOCKED;
                if (!contended || std::chrono::steady_clock::now() - start > std::chrono::seconds(10)) throw;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
    } catch (...) {
        sqlite::close(db_);
        throw;
    }
}

ResultsDb::~ResultsDb() { sqlite::close(db_); }

int ResultsDb::schema_version() const { return stored_version(db_, path_); }

std::string design_text(std::int64_t design) {
    if (design == kModelDesign) return "the paper's network (docs/sm4.md)";
    if (design == 1)
        return "sm4's design 1, retired: per-modality expert groups, no unimodal encoder; its results report, its "
               "checkpoints no longer load";
    return "unknown";
}

std::int64_t ResultsDb::create_run(const NewRun& run) {
    Statement insert(db_, path_,
                     "INSERT INTO runs (name, experiment, status, created_at, config_toml, seed, git_revision, "
                     "build_info, host, sweep, variant, config_hash, world_size, dist_backend, design) "
                     "VALUES (?1, ?2, 'running', " SM4_NOW_UTC ", ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    insert.bind(1, run.name).bind(2, run.experiment).bind(3, run.config_toml).bind(4, run.seed);
    insert.bind(5, run.git_revision).bind(6, run.build_info).bind(7, run.host);
    insert.bind(8, run.sweep).bind(9, run.variant).bind(10, run.config_hash);
    insert.bind(11, run.world_size).bind(12, run.dist_backend).bind(13, std::int64_t{kModelDesign}).run();
    return sqlite3_last_insert_rowid(db_);
}

void ResultsDb::set_status(std::int64_t run_id, const std::string& status, const std::string& message) {
    Statement update(db_, path_,
                     "UPDATE runs SET status = ?2, message = ?3, "
                     "finished_at = CASE WHEN ?2 = 'running' THEN NULL ELSE " SM4_NOW_UTC " END WHERE id = ?1");
    update.bind(1, run_id).bind(2, status).bind(3, message).run();
    if (sqlite3_changes(db_) == 0)
        throw IoError(fmt::format("{}: cannot set the status of run {}: no such run", path_.string(), run_id));
}

void ResultsDb::add_metrics(const std::vector<MetricRecord>& metrics) {
    if (metrics.empty()) return;
    sqlite::Transaction transaction(db_, path_);
    Statement insert(db_, path_,
                     "INSERT INTO metrics (run_id, step, epoch, split, task, name, value, source) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const auto& m : metrics) {
        insert.bind(1, m.run_id).bind(2, m.step).bind(3, m.epoch).bind(4, m.split).bind(5, m.task);
        insert.bind(6, m.name).bind(7, m.value).bind(8, m.source).run();
        insert.reset();
    }
    transaction.commit();
}

void ResultsDb::add_checkpoint(const CheckpointRecord& c) {
    Statement insert(db_, path_,
                     "INSERT INTO checkpoints (run_id, epoch, step, path, val_score, is_best, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, " SM4_NOW_UTC ")");
    insert.bind(1, c.run_id).bind(2, c.epoch).bind(3, c.step).bind(4, c.path).bind(5, c.val_score);
    insert.bind(6, std::int64_t{c.is_best ? 1 : 0}).run();
}

void ResultsDb::delete_after_step(std::int64_t run_id, std::int64_t step) {
    sqlite::Transaction transaction(db_, path_);
    // Only training metrics: an `sm4 eval` of an earlier checkpoint stays valid after a resume.
    Statement metrics(db_, path_, "DELETE FROM metrics WHERE run_id = ?1 AND source = 'train' AND step > ?2");
    metrics.bind(1, run_id).bind(2, step).run();
    Statement checkpoints(db_, path_, "DELETE FROM checkpoints WHERE run_id = ?1 AND step > ?2");
    checkpoints.bind(1, run_id).bind(2, step).run();
    Statement epochs(db_, path_, "DELETE FROM modality_epochs WHERE run_id = ?1 AND step > ?2");
    epochs.bind(1, run_id).bind(2, step).run();
    transaction.commit();
}

void ResultsDb::set_folder(std::int64_t run_id, const std::filesystem::path& folder) {
    Statement update(db_, path_, "UPDATE runs SET folder = ?2 WHERE id = ?1");
    update.bind(1, run_id).bind(2, folder.string()).run();
}

std::optional<RunRecord> ResultsDb::find_run(std::int64_t run_id) const {
    Statement select(db_, path_, fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns));
    select.bind(1, run_id);
    if (!select.step()) return std::nullopt;
    return read_run(select);
}

std::vector<RunRecord> ResultsDb::list_runs() const {
    // By id rather than created_at: ids order runs started within the same second.
    Statement select(db_, path_, fmt::format("SELECT {} FROM runs ORDER BY id DESC", kRunColumns));
    std::vector<RunRecord> runs;
    while (select.step()) runs.push_back(read_run(select));
    return runs;
}

std::vector<MetricRecord> ResultsDb::metrics(std::int64_t run_id, const std::string& split,
                                             const std::string& source) const {
    Statement select(db_, path_,
                     "SELECT run_id, step, epoch, split, task, name, value, source FROM metrics "
                     "WHERE run_id = ?1 AND (?2 = '' OR split = ?2) AND (?3 = '' OR source = ?3) ORDER BY rowid");
    select.bind(1, run_id).bind(2, split).bind(3, source);
    std::vector<MetricRecord> metrics;
    while (select.step())
        metrics.push_back({select.int64(0), select.int64(1), select.int64(2), select.text(3), select.text(4),
                           select.text(5), select.real(6), select.text(7)});
    return metrics;
}

std::vector<CheckpointRecord> ResultsDb::checkpoints(std::int64_t run_id) const {
    Statement select(db_, path_,
                     "SELECT run_id, epoch, step, path, val_score, is_best, created_at FROM checkpoints "
                     "WHERE run_id = ?1 ORDER BY rowid");
    select.bind(1, run_id);
    std::vector<CheckpointRecord> checkpoints;
    while (select.step())
        checkpoints.push_back({select.int64(0), select.int64(1), select.int64(2), select.text(3), select.real(4),
                               select.int64(5) != 0, select.text(6)});
    return checkpoints;
}

void ResultsDb::add_allocations(const std::vector<AllocationRecord>& rows) {
    if (rows.empty()) return;
    sqlite::Transaction transaction(db_, path_);
    Statement insert(db_, path_,
                     "INSERT INTO allocations (run_id, modality, candidate, train_loss, val_loss, gap, chosen, "
                     "probe_seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const auto& a : rows) {
        insert.bind(1, a.run_id).bind(2, a.modality).bind(3, a.candidate).bind(4, a.train_loss);
        insert.bind(5, a.val_loss).bind(6, a.gap).bind(7, std::int64_t{a.chosen ? 1 : 0}).bind(8, a.probe_seconds).run();
        insert.reset();
    }
    transaction.commit();
}

namespace {

void bind_optional(Statement& s, int index, double value) {
    if (std::isfinite(value)) s.bind(index, value); else s.bind_null(index);
}

double optional_real(const Statement& s, int column) {
    return s.is_null(column) ? std::numeric_limits<double>::quiet_NaN() : s.real(column);
}

}  // namespace

void ResultsDb::add_modality_epochs(const std::vector<ModalityEpochRecord>& rows) {
    if (rows.empty()) return;
    sqlite::Transaction transaction(db_, path_);
    Statement insert(db_, path_,
                     "INSERT INTO modality_epochs (run_id, epoch, step, slot, top_k, val_loss, train_loss, routing_entropy, "
                     "pace_weight, aea_frozen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    for (const auto& r : rows) {
        insert.bind(1, r.run_id).bind(2, r.epoch).bind(3, r.step).bind(4, r.slot).bind(5, r.top_k);
        bind_optional(insert, 6, r.val_loss);
        bind_optional(insert, 7, r.train_loss);
        bind_optional(insert, 8, r.routing_entropy);
        insert.bind(9, r.pace_weight).bind(10, std::int64_t{r.aea_frozen ? 1 : 0}).run();
        insert.reset();
    }
    transaction.commit();
}

std::vector<ModalityEpochRecord> ResultsDb::modality_epochs(std::int64_t run_id) const {
    Statement select(db_, path_,
                     "SELECT run_id, epoch, step, slot, top_k, val_loss, train_loss, routing_entropy, pace_weight, aea_frozen "
                     "FROM modality_epochs WHERE run_id = ?1 ORDER BY epoch, rowid");
    select.bind(1, run_id);
    std::vector<ModalityEpochRecord> rows;
    while (select.step())
        rows.push_back({select.int64(0), select.int64(1), select.int64(2), select.text(3), select.int64(4),
                        optional_real(select, 5), optional_real(select, 6), optional_real(select, 7), select.real(8),
                        select.int64(9) != 0});
    return rows;
}

void ResultsDb::add_sweep_reuse(const SweepReuse& reuse) {
    Statement insert(db_, path_, "INSERT OR IGNORE INTO sweep_reuses (sweep, variant, run_id) VALUES (?1, ?2, ?3)");
    insert.bind(1, reuse.sweep).bind(2, reuse.variant).bind(3, reuse.run_id).run();
}

std::vector<SweepReuse> ResultsDb::sweep_reuses(const std::string& sweep) const {
    Statement select(db_, path_, "SELECT sweep, variant, run_id FROM sweep_reuses WHERE sweep = ?1 ORDER BY run_id");
    select.bind(1, sweep);
    std::vector<SweepReuse> rows;
    while (select.step()) rows.push_back({select.text(0), select.text(1), select.int64(2)});
    return rows;
}

void ResultsDb::replace_flops(std::optional<std::int64_t> run_id, const std::string& config_hash,
                              const std::vector<FlopsRecord>& rows) {
    sqlite::Transaction transaction(db_, path_);
    Statement forget(db_, path_,
                     run_id ? "DELETE FROM flops WHERE run_id = ?1"
                            : "DELETE FROM flops WHERE run_id IS NULL AND config_hash = ?2");
    if (run_id) forget.bind(1, *run_id); else forget.bind(2, config_hash);
    forget.run();
    Statement insert(db_, path_,
                     "INSERT INTO flops (run_id, config_hash, model, task, modality, component, params, active_params, "
                     "flops, measured_flops) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    for (const auto& f : rows) {
        if (run_id) insert.bind(1, *run_id); else insert.bind_null(1);
        insert.bind(2, config_hash).bind(3, f.model).bind(4, f.task).bind(5, f.modality).bind(6, f.component);
        insert.bind(7, f.params).bind(8, f.active_params).bind(9, f.flops);
        if (f.measured_flops) insert.bind(10, *f.measured_flops); else insert.bind_null(10);
        insert.run();
        insert.reset();
    }
    transaction.commit();
}

std::vector<FlopsRecord> ResultsDb::flops(std::optional<std::int64_t> run_id, const std::string& config_hash) const {
    Statement select(db_, path_,
                     run_id ? "SELECT model, task, modality, component, params, active_params, flops, measured_flops "
                              "FROM flops WHERE run_id = ?1 ORDER BY rowid"
                            : "SELECT model, task, modality, component, params, active_params, flops, measured_flops "
                              "FROM flops WHERE run_id IS NULL AND config_hash = ?2 ORDER BY rowid");
    if (run_id) select.bind(1, *run_id); else select.bind(2, config_hash);
    std::vector<FlopsRecord> rows;
    while (select.step()) {
        FlopsRecord f{select.text(0), select.text(1), select.text(2), select.text(3), select.int64(4),
                      select.real(5), select.real(6), std::nullopt};
        if (!select.is_null(7)) f.measured_flops = select.real(7);
        rows.push_back(std::move(f));
    }
    return rows;
}

std::vector<AllocationRecord> ResultsDb::allocations(std::int64_t run_id) const {
    Statement select(db_, path_,
                     "SELECT run_id, modality, candidate, train_loss, val_loss, gap, chosen, probe_seconds "
                     "FROM allocations WHERE run_id = ?1 ORDER BY rowid");
    select.bind(1, run_id);
    std::vector<AllocationRecord> rows;
    while (select.step())
        rows.push_back({select.int64(0), select.text(1), select.int64(2), select.real(3), select.real(4),
                        select.real(5), select.int64(6) != 0, select.real(7)});
    return rows;
}

}  // namespace sm4
