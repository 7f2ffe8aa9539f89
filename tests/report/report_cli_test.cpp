// `sm4 report` on the command line: plots without --out, the forms --out writes, --json, --tidy
// and the note about an empty ablation table on stderr.
#include <catch.hpp>

#include "io/results_db.h"
#include "report_fixture.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::run_command;
using sm4::test::slurp;
using sm4::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// results/sm4.db under `dir`: one completed sm4 run with a train loss curve (no trace, no FLOPs).
void make_database(const TempDir& dir) {
    sm4::ResultsDb db(dir / "results" / "sm4.db");
    const auto id = sm4::test::add_fake_run(db, {"", "", "sm4", 0, {{"wine", {{"accuracy", 0.9}}}}});
    db.add_metrics({{id, 10, 1, "train", "wine", "loss", 0.9, "train"}, {id, 20, 1, "train", "wine", "loss", 0.5, "train"}});
}

// sm4 in `dir`, with the default database (no $SM4_DB, unless `env` sets it).
sm4::test::CommandResult report_in(const TempDir& dir, const std::string& arguments, const std::string& env = "") {
    return run_command("cd '" + dir.path().string() + "' && env -u SM4_DB SM4_NO_PROGRESS=1 " + env + " " + SM4_BINARY +
                       " report " + arguments);
}

}  // namespace

TEST_CASE("sm4 report --runs N --plots svg writes the run's plots into results/report/plots", "[report][cli]") {
    TempDir dir;
    make_database(dir);
    const auto r = report_in(dir, "--runs 1 --plots svg");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(std::filesystem::exists(dir / "results" / "report" / "plots" / "sm4-run1-curves.svg"));
    CHECK_THAT(r.err, Contains("wrote the plots to results/report/plots"));
    CHECK_THAT(r.err, Contains("note: no trace plots for run 1"));
    CHECK_FALSE(std::filesystem::exists(dir / "results" / "report" / "main.md"));  // plots only
    CHECK_THAT(r.out, Contains("no FLOPs counted yet for sm4 (`sm4 flops --run 1`)"));  // the default database: no --db

    const auto tables_only = report_in(dir, "--runs 1");  // no --plots, no --out: nothing written
    CHECK(tables_only.exit_code == 0);
    CHECK_THAT(tables_only.err, !Contains("wrote"));
}

TEST_CASE("sm4 report's FLOPs hint runs as printed: --db unless results/sm4.db is what a bare command opens", "[report][cli]") {
    TempDir dir;
    make_database(dir);
    std::filesystem::copy_file(dir / "results" / "sm4.db", dir / "elsewhere.db");
    CHECK_THAT(report_in(dir, "--db elsewhere.db").out, Contains("(`sm4 flops --run 1 --db elsewhere.db`)"));
    CHECK_THAT(report_in(dir, "", "SM4_DB=elsewhere.db").out, Contains("(`sm4 flops --run 1 --db elsewhere.db`)"));
    // $SM4_DB names another database: results/sm4.db must be named too
    CHECK_THAT(report_in(dir, "--db results/sm4.db", "SM4_DB=elsewhere.db").out,
               Contains("(`sm4 flops --run 1 --db results/sm4.db`)"));
    CHECK_THAT(report_in(dir, "--db ./results/sm4.db").out, Contains("(`sm4 flops --run 1`)"));
}

TEST_CASE("sm4 report --format csv --out writes one CSV file per table; an empty ablation is a note on stderr", "[report][cli]") {
    TempDir dir;
    make_database(dir);
    const auto r = report_in(dir, "--format csv --out out --plots none");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, StartsWith("# Test results\nmethod,seeds,wine accuracy,"));
    CHECK_THAT(r.out, !Contains("# Ablation"));
    CHECK_THAT(r.err, Contains("note: no ablation table: no method named 'sm4-no-*'"));
    CHECK_THAT(slurp(dir / "out" / "main.csv"), StartsWith("method,seeds,wine accuracy,wine accuracy std,wine accuracy best\n"));
    CHECK_THAT(slurp(dir / "out" / "flops.csv"), StartsWith("method,task,params,"));
    for (const char* file : {"main.csv", "flops.csv", "tidy.csv"}) CHECK_THAT(slurp(dir / "out" / file), !Contains("#"));
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "ablation.csv"));
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "plots"));
}

TEST_CASE("sm4 report --tidy prints the tidy CSV; --json one document; not both, nor with --format", "[report][cli]") {
    TempDir dir;
    make_database(dir);
    const auto tidy = report_in(dir, "--tidy --out out --plots none");
    REQUIRE(tidy.exit_code == 0);
    CHECK(tidy.out == "method,task,metric,mean,std,n\nsm4,wine,accuracy,0.9,,1\n");
    CHECK(slurp(dir / "out" / "tidy.csv") == tidy.out);

    const auto json = report_in(dir, "--json");
    REQUIRE(json.exit_code == 0);
    CHECK_THAT(json.out, StartsWith("{\"database\": \"results/sm4.db\", \"tasks\": [\"wine\"], \"runs\": [{\"id\": 1, "));
    CHECK(json.out == report_in(dir, "--format json").out);

    CHECK(report_in(dir, "--json --format csv").exit_code == 2);
    CHECK(report_in(dir, "--json --tidy").exit_code == 2);
}
