// The results store as its users meet it: the documented schema, runs, metrics and checkpoints
// round trips, resume, the read-only query, concurrent writers and damaged files.
#include <catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "core/errors.h"
#include "io/results_db.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::run_command;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

NewRun sample_run(const std::string& name) {
    NewRun run;
    run.name = name;
    run.experiment = "experiments/minibench.toml";
    run.config_toml = "[data]\nseed = 3\n";
    run.seed = 3;
    run.git_revision = "abc123";
    run.build_info = "sm4 0.1.0 (test)";
    run.host = "testhost";
    return run;
}

MetricRecord metric(std::int64_t run_id, std::int64_t step, const std::string& split, const std::string& name,
                    double value, const std::string& source = "train") {
    return {run_id, step, step / 10, split, "wine", name, value, source};
}

std::vector<std::string> column(const QueryResult& result, std::size_t index) {
    std::vector<std::string> values;
    for (const auto& row : result.rows) values.push_back(row.at(index));
    return values;
}

template <typename E>
std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("expected an error of the right type");
    return "";
}

bool is_iso_utc(const std::string& text) {
    return std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"));
}

}  // namespace

TEST_CASE("results db: a new file has the documented tables and columns, WAL and schema version 8", "[db]") {
    TempDir dir;
    const auto path = dir / "nested" / "results" / "sm4.db";
    ResultsDb db(path);  // creates the folders too
    CHECK(std::filesystem::exists(path));
    CHECK(db.schema_version() == 8);

    CHECK(column(db.query("PRAGMA table_info(runs)"), 1) ==
          std::vector<std::string>{"id", "name", "experiment", "status", "created_at", "finished_at", "config_toml",
                                   "seed", "git_revision", "build_info", "host", "message", "sweep", "variant",
                                   "config_hash", "world_size", "dist_backend", "folder", "design"});
    CHECK(column(db.query("PRAGMA table_info(allocations)"), 1) ==
          std::vector<std::string>{"run_id", "modality", "candidate", "train_loss", "val_loss", "gap", "chosen",
                                   "probe_seconds"});
    CHECK(column(db.query("PRAGMA table_info(flops)"), 1) ==
          std::vector<std::string>{"run_id", "config_hash", "model", "task", "modality", "component", "params",
                                   "active_params", "flops", "measured_flops"});
    CHECK(column(db.query("PRAGMA table_info(modality_epochs)"), 1) ==
          std::vector<std::string>{"run_id", "epoch", "step", "slot", "top_k", "val_loss", "train_loss", "routing_entropy",
                                   "pace_weight", "aea_frozen"});
    CHECK(column(db.query("PRAGMA table_info(metrics)"), 1) ==
          std::vector<std::string>{"run_id", "step", "epoch", "split", "task", "name", "value", "source"});
    CHECK(column(db.query("PRAGMA table_info(checkpoints)"), 1) ==
          std::vector<std::string>{"run_id", "epoch", "step", "path", "val_score", "is_best", "created_at"});
    CHECK(column(db.query("PRAGMA index_list(metrics)"), 1).size() == 1);
    CHECK(db.query("PRAGMA journal_mode").rows == std::vector<std::vector<std::string>>{{"wal"}});
    CHECK(db.query("SELECT version FROM schema_version").rows == std::vector<std::vector<std::string>>{{"8"}});
    CHECK(column(db.query("PRAGMA table_info(sweep_reuses)"), 1) == std::vector<std::string>{"sweep", "variant", "run_id"});
    // A new run is of the paper's network, design 2.
    NewRun fresh;
    fresh.name = "r";
    const std::int64_t id = db.create_run(fresh);
    CHECK(db.find_run(id)->design == kModelDesign);
    CHECK(db.query("SELECT design FROM runs").rows == std::vector<std::vector<std::string>>{{"2"}});

    // Reopening an up-to-date file changes nothing.
    ResultsDb again(path);
    CHECK(again.schema_version() == 8);
    CHECK(again.query("SELECT count(*) FROM schema_version").rows.at(0).at(0) == "1");
}

TEST_CASE("results db: the sqlite3 shell reads the file sm4 wrote", "[db]") {
    TempDir dir;
    const auto path = dir / "sm4.db";
    {
        ResultsDb db(path);
        db.create_run(sample_run("a"));
        db.create_run(sample_run("b"));
    }
    const auto r = run_command("sqlite3 " + path.string() + " 'select count(*) from runs; pragma journal_mode;'");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "2\nwal\n");
}

TEST_CASE("results db: a run's status and finish time round trip", "[db]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const auto first = db.create_run(sample_run("first"));
    const auto second = db.create_run(sample_run("second"));
    CHECK(second > first);

    auto run = db.find_run(first);
    REQUIRE(run);
    CHECK(run->name == "first");
    CHECK(run->experiment == "experiments/minibench.toml");
    CHECK(run->status == "running");
    CHECK(is_iso_utc(run->created_at));
    CHECK(run->finished_at.empty());
    CHECK(run->config_toml == "[data]\nseed = 3\n");
    CHECK(run->seed == 3);
    CHECK(run->git_revision == "abc123");
    CHECK(run->build_info == "sm4 0.1.0 (test)");
    CHECK(run->host == "testhost");

    db.set_status(first, kRunInterrupted, "Ctrl-C at step 40");
    run = db.find_run(first);
    CHECK(run->status == "interrupted");
    CHECK(run->message == "Ctrl-C at step 40");
    CHECK(is_iso_utc(run->finished_at));

    db.set_status(first, kRunRunning);  // resumed
    run = db.find_run(first);
    CHECK(run->status == "running");
    CHECK(run->finished_at.empty());
    CHECK(db.query("SELECT finished_at FROM runs WHERE id = " + std::to_string(first)).rows.at(0).at(0) == "NULL");

    db.set_status(first, kRunCompleted);
    CHECK(is_iso_utc(db.find_run(first)->finished_at));

    const auto runs = db.list_runs();
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].name == "second");  // newest first
    CHECK(runs[1].status == "completed");

    CHECK_FALSE(db.find_run(99));
    CHECK_THAT(error_of<IoError>([&] { db.set_status(99, kRunFailed); }), Contains("run 99"));
    CHECK_THROWS_AS(db.set_status(first, "finished"), IoError);  // not a documented status
}

TEST_CASE("results db: metrics are kept in order and filtered by split and source", "[db]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const auto run = db.create_run(sample_run("m"));
    const auto other = db.create_run(sample_run("other"));
    db.add_metrics({metric(run, 10, "train", "loss", 0.75), metric(run, 10, "val", "accuracy", 0.5),
                    metric(run, 20, "train", "loss", 0.123456789012345),
                    metric(run, 20, "test", "accuracy", 0.9, "eval"), metric(other, 10, "train", "loss", 2.0)});
    db.add_metrics({});

    const auto all = db.metrics(run);
    REQUIRE(all.size() == 4);
    CHECK(all[0].split == "train");
    CHECK(all[0].value == 0.75);
    CHECK(all[0].epoch == 1);
    CHECK(all[2].value == 0.123456789012345);  // REAL keeps full double precision
    CHECK(all[3].source == "eval");
    CHECK(db.metrics(run, "train").size() == 2);
    CHECK(db.metrics(run, "", "eval").size() == 1);
    CHECK(db.metrics(run, "val", "eval").empty());

    // Query renders reals so they read back exactly.
    CHECK(db.query("SELECT value FROM metrics WHERE step = 20 AND split = 'train'").rows.at(0).at(0) ==
          "0.123456789012345");

    // One bad record (an unknown run) rejects the whole batch.
    CHECK_THROWS_AS(db.add_metrics({metric(run, 30, "train", "loss", 0.1), metric(12345, 30, "train", "loss", 0.1)}),
                    IoError);
    CHECK(db.metrics(run).size() == 4);
}

TEST_CASE("results db: checkpoints round trip and resume forgets what came after", "[db]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const auto run = db.create_run(sample_run("c"));
    db.add_checkpoint({run, 1, 100, "results/c/epoch1.pt", 0.61, false, ""});
    db.add_checkpoint({run, 2, 200, "results/c/epoch2.pt", 0.72, true, ""});
    db.add_checkpoint({run, 3, 300, "results/c/epoch3.pt", 0.70, false, ""});
    db.add_metrics({metric(run, 100, "val", "score", 0.61), metric(run, 200, "val", "score", 0.72),
                    metric(run, 300, "val", "score", 0.70), metric(run, 300, "test", "score", 0.69, "eval")});

    auto checkpoints = db.checkpoints(run);
    REQUIRE(checkpoints.size() == 3);
    CHECK(checkpoints[1].path == "results/c/epoch2.pt");
    CHECK(checkpoints[1].val_score == 0.72);
    CHECK(checkpoints[1].is_best);
    CHECK_FALSE(checkpoints[0].is_best);
    CHECK(checkpoints[1].epoch == 2);
    CHECK(checkpoints[1].step == 200);
    CHECK(is_iso_utc(checkpoints[0].created_at));

    db.delete_after_step(run, 200);
    checkpoints = db.checkpoints(run);
    REQUIRE(checkpoints.size() == 2);
    CHECK(checkpoints.back().step == 200);
    const auto metrics = db.metrics(run);
    REQUIRE(metrics.size() == 3);  // train metrics up to step 200, and the eval metric stays
    CHECK(metrics[2].source == "eval");
    CHECK(metrics[1].step == 200);
}

TEST_CASE("results db: query only reads, one statement at a time", "[db]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    db.create_run(sample_run("keep"));

    CHECK_THROWS_AS(db.query("DELETE FROM runs"), UsageError);
    CHECK_THROWS_AS(db.query("UPDATE runs SET name = 'x'"), UsageError);
    CHECK_THROWS_AS(db.query("DROP TABLE metrics"), UsageError);
    CHECK_THROWS_AS(db.query("VACUUM INTO '" + (dir / "copy.db").string() + "'"), UsageError);
    CHECK_THROWS_AS(db.query("PRAGMA user_version = 5"), UsageError);
    CHECK_THROWS_AS(db.query("ATTACH DATABASE '" + (dir / "other.db").string() + "' AS other"), UsageError);
    CHECK_THAT(error_of<UsageError>([&] { db.query("SELECT 1; DELETE FROM runs"); }), Contains("more than one"));
    CHECK_THAT(error_of<UsageError>([&] { db.query("SELECT * FROM nope"); }), Contains("no such table: nope"));
    CHECK_THROWS_AS(db.query("SELEC 1"), UsageError);
    CHECK_THROWS_AS(db.query("  -- nothing"), UsageError);
    CHECK(db.list_runs().size() == 1);
    CHECK(db.find_run(1)->name == "keep");
    CHECK(db.query("PRAGMA user_version").rows.at(0).at(0) == "0");
    CHECK_FALSE(std::filesystem::exists(dir / "other.db"));
    CHECK_FALSE(std::filesystem::exists(dir / "copy.db"));

    // A trailing semicolon or comment is still one statement.
    const auto result = db.query("SELECT id, name, NULL AS missing, 2.5 AS half, x'00ff' AS bytes FROM runs; -- done");
    CHECK(result.columns == std::vector<std::string>{"id", "name", "missing", "half", "bytes"});
    CHECK(result.rows == std::vector<std::vector<std::string>>{{"1", "keep", "NULL", "2.5", "X'00FF'"}});
}

TEST_CASE("results db: a newer schema is refused, naming both versions", "[db]") {
    TempDir dir;
    const auto path = dir / "sm4.db";
    { ResultsDb db(path); }
    REQUIRE(run_command("sqlite3 " + path.string() + " 'UPDATE schema_version SET version = 99'").exit_code == 0);
    const std::string message = error_of<IoError>([&] { ResultsDb db(path); });
    CHECK_THAT(message, Contains(path.string()) && Contains("99") && Contains("version 8"));
}

TEST_CASE("results db: a file that is not a database is an IoError naming it", "[db]") {
    TempDir dir;
    const auto path = dir / "notes.db";
    std::ofstream(path) << "these are my notes, not a database, and there are enough of them to fill a header\n";
    CHECK_THAT(error_of<IoError>([&] { ResultsDb db(path); }), Contains(path.string()) && Contains("not a database"));
    CHECK_THAT(error_of<IoError>([&] { ResultsDb db(dir.path()); }), Contains(dir.path().string()));
}

TEST_CASE("results db: two writers on one file take turns", "[db]") {
    TempDir dir;
    const auto path = dir / "sm4.db";
    ResultsDb a(path), b(path);
    const auto run_a = a.create_run(sample_run("a"));
    const auto run_b = b.create_run(sample_run("b"));
    for (int step = 1; step <= 5; ++step) {
        a.add_metrics({metric(run_a, step, "train", "loss", 1.0 / step)});
        b.add_metrics({metric(run_b, step, "train", "loss", 2.0 / step)});
    }
    CHECK(a.metrics(run_b).size() == 5);
    CHECK(b.metrics(run_a).size() == 5);

    // As two training processes would: writing at the same time, each waiting for the lock.
    // Catch2 assertions are not thread-safe: each writer reports its error, if any, as text.
    auto write = [&path](const std::string& name, std::string& error) {
        try {
            ResultsDb db(path);
            const auto run = db.create_run(sample_run(name));
            for (int step = 1; step <= 40; ++step) {
                db.add_metrics({metric(run, step, "train", "loss", 1.0), metric(run, step, "val", "loss", 1.0)});
                if (step % 10 == 0) db.add_checkpoint({run, step / 10, step, name + ".pt", 0.5, false, ""});
            }
            db.set_status(run, kRunCompleted);
        } catch (const std::exception& e) {
            error = e.what();
        }
    };
    std::string error1, error2;
    std::thread first(write, "t1", std::ref(error1)), second(write, "t2", std::ref(error2));
    first.join();
    second.join();
    CHECK(error1.empty());
    CHECK(error2.empty());
    CHECK(a.query("SELECT count(*) FROM metrics").rows.at(0).at(0) == std::to_string(10 + 2 * 80));
    CHECK(a.query("SELECT count(*) FROM runs WHERE status = 'completed'").rows.at(0).at(0) == "2");
}

TEST_CASE("results db: a schema-1 file migrates to schema 2 and keeps its runs", "[db]") {
    TempDir dir;
    const auto path = dir / "old.db";
    // The version-1 schema of runs, as sm4 0.1 wrote it, made with the sqlite3 shell.
    const std::string v1 =
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, experiment TEXT NOT NULL "
        "DEFAULT '', status TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT, config_toml TEXT NOT NULL, "
        "seed INTEGER NOT NULL, git_revision TEXT NOT NULL, build_info TEXT NOT NULL, host TEXT NOT NULL, message "
        "TEXT NOT NULL DEFAULT ''); CREATE TABLE metrics (run_id INTEGER, step INTEGER, epoch INTEGER, split TEXT, "
        "task TEXT, name TEXT, value REAL, source TEXT); CREATE TABLE checkpoints (run_id INTEGER, epoch INTEGER, "
        "step INTEGER, path TEXT, val_score REAL, is_best INTEGER, created_at TEXT); CREATE TABLE schema_version "
        "(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1); INSERT INTO runs (name, status, "
        "created_at, config_toml, seed, git_revision, build_info, host) VALUES ('old', 'completed', "
        "'2026-01-01T00:00:00Z', '', 3, 'abc', 'b', 'h');";
    REQUIRE(run_command("sqlite3 " + path.string() + " \"" + v1 + "\"").exit_code == 0);
    ResultsDb db(path);
    CHECK(db.schema_version() == 8);
    const auto run = db.find_run(1);
    REQUIRE(run);
    CHECK(run->name == "old");
    CHECK(run->design == 1);  // every run before schema 6 was trained by sm4's design 1
    CHECK(run->seed == 3);
    CHECK(run->sweep.empty());
    CHECK(run->folder.empty());  // older runs keep <runs_dir>/<id>
    db.add_allocations({{1, "wine/features", 2, 0.5, 0.75, 0.25, true, 1.5}});
    const auto rows = db.allocations(1);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].modality == "wine/features");
    CHECK(rows[0].candidate == 2);
    CHECK(rows[0].gap == 0.25);
    CHECK(rows[0].chosen);
}

TEST_CASE("results db: flops rows of a run or of a config replace earlier ones and read back", "[db]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const auto run = db.create_run(sample_run("r"));
    const FlopsRecord experts{"configured", "wine", "table", "experts", 1000, 250.0, 4096.0, 4100.0};
    const FlopsRecord total{"configured", "", "", "total", 5000, 0.0, 0.0, std::nullopt};
    db.replace_flops(run, "abc", {experts, total});
    db.replace_flops(run, "abc", {experts});  // replaces, does not append
    db.replace_flops(std::nullopt, "def", {total});
    const auto rows = db.flops(run);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].component == "experts");
    CHECK(rows[0].active_params == 250.0);
    CHECK(rows[0].measured_flops == std::optional<double>(4100.0));
    const auto by_config = db.flops(std::nullopt, "def");
    REQUIRE(by_config.size() == 1);
    CHECK_FALSE(by_config[0].measured_flops.has_value());
    CHECK(db.query("SELECT count(*) FROM flops WHERE run_id IS NULL").rows.at(0).at(0) == "1");
}

TEST_CASE("results db: processes creating one new file at once all get in, none told it is locked", "[db]") {
    // Two trainings started at once on a new database once saw one of them stop with "database is
    // locked"; the opening now retries what SQLite refuses without a busy wait.
    for (int round = 0; round < 8; ++round) {
        TempDir dir;
        const auto path = dir / "fresh.db";
        std::vector<pid_t> children;
        for (int c = 0; c < 4; ++c) {
            const pid_t pid = fork();
            if (pid == 0) {
                try {
                    ResultsDb db(path);
                    NewRun run;
                    run.name = "child";
                    db.create_run(run);
                    _exit(0);
                } catch (...) {
                    _exit(1);
                }
            }
            children.push_back(pid);
        }
        int failed = 0;
        for (const pid_t pid : children) {
            int status = 0;
            waitpid(pid, &status, 0);
            failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        INFO("round " << round);
        CHECK(failed == 0);
        CHECK(ResultsDb(path).list_runs().size() == 4);
    }
}
