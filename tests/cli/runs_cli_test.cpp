// `sm4 runs list | show | query` on a database written through the results store.
#include <catch.hpp>

#include <regex>

#include "io/results_db.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::run_command;
using sm4::test::run_sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// Two runs: "baseline" completed with checkpoints and metrics, "sm4-moe" still running.
std::string make_database(const TempDir& dir) {
    const auto path = dir / "results" / "sm4.db";
    sm4::ResultsDb db(path);
    sm4::NewRun run;
    run.name = "baseline";
    run.experiment = "experiments/minibench.toml";
    run.config_toml = "[data]\nseed = 7\n";
    run.seed = 7;
    run.git_revision = "abc123";
    run.build_info = "sm4 0.1.0";
    run.host = "testhost";
    const auto first = db.create_run(run);
    db.add_metrics({{first, 10, 1, "train", "wine", "loss", 0.9, "train"},
                    {first, 20, 2, "train", "wine", "loss", 0.25, "train"},
                    {first, 20, 2, "val", "all", "score", 0.875, "train"}});
    db.add_checkpoint({first, 2, 20, "results/baseline/epoch2.pt", 0.875, true, ""});
    db.set_status(first, sm4::kRunCompleted);
    run.name = "sm4-moe";
    run.seed = 8;
    db.create_run(run);
    return path.string();
}

}  // namespace

TEST_CASE("cli: runs list shows every run, newest first", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    const auto r = run_sm4("runs list --db " + db);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    const std::string header = r.out.substr(0, r.out.find('\n'));
    CHECK(std::regex_match(header, std::regex("id +name +sweep +variant +tasks +status +created +duration +best val +seed")));
    const auto newest = r.out.find("sm4-moe"), oldest = r.out.find("baseline");
    CHECK(newest != std::string::npos);
    CHECK(newest < oldest);
    CHECK_THAT(r.out, Contains("completed") && Contains("running"));
}

TEST_CASE("cli: runs show prints fields, checkpoints, latest metrics and the config", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    const auto r = run_sm4("runs show 1 --db " + db);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("name          baseline") && Contains("status        completed"));
    CHECK_THAT(r.out, Contains("git_revision  abc123") && Contains("host          testhost"));
    CHECK_THAT(r.out, Contains("results/baseline/epoch2.pt") && Contains("yes"));
    // Only the last loss logged for (train, wine, loss).
    CHECK_THAT(r.out, Contains("train  wine  loss    0.25"));
    CHECK(r.out.find("0.9") == std::string::npos);
    CHECK_THAT(r.out, Contains("val    all   score  0.875"));
    CHECK_THAT(r.out, Contains("config\n[data]\nseed = 7\n"));

    const auto missing = run_sm4("runs show 12 --db " + db);
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Contains("sm4: error: run 12 not found in " + db));
    CHECK(run_sm4("runs show one --db " + db).exit_code == 2);
}

TEST_CASE("cli: runs query prints a table or CSV, and only reads", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    auto r = run_sm4("runs query \"SELECT id, name, seed FROM runs ORDER BY id\" --db " + db);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "id  name      seed\n--  --------  ----\n 1  baseline     7\n 2  sm4-moe      8\n");

    r = run_sm4("runs query \"SELECT name, 'a,b' AS pair, NULL AS missing FROM runs WHERE id = 1\" --csv --db " + db);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "name,pair,missing\nbaseline,\"a,b\",NULL\n");

    r = run_sm4("runs query \"DELETE FROM runs\" --db " + db);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("only reads"));
    r = run_sm4("runs query \"SELECT nonsense FROM runs\" --db " + db);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("no such column: nonsense"));
    CHECK(run_sm4("runs query \"SELECT count(*) FROM runs\" --csv --db " + db).out == "count(*)\n2\n");
}

TEST_CASE("cli: runs on a missing database is an I/O error and creates nothing", "[cli][db]") {
    TempDir dir;
    const std::string db = (dir / "nowhere" / "sm4.db").string();
    for (const std::string command : {"runs list", "runs show 1", "runs query \"SELECT 1\""}) {
        const auto r = run_sm4(command + " --db " + db);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Contains(db));
    }
    CHECK(dir.entries().empty());

    // Without --db: results/sm4.db under the working folder.
    const auto r = run_command("cd " + dir.path().string() + " && " SM4_BINARY " runs list");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("results/sm4.db"));
    CHECK(dir.entries().empty());
    CHECK(run_sm4("runs").exit_code == 2);
    CHECK_THAT(run_sm4("--help").out, Contains("runs"));
    CHECK_THAT(run_sm4("runs --help").out, Contains("list") && Contains("show") && Contains("query"));
}
