#include <catch.hpp>

#include "report/report.h"
#include "report_fixture.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::add_fake_run;
using sm4::test::add_two_variants;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

const std::string kNote = "mean ± sample std (ddof = 1) over the seeds of each method's completed runs; final test "
                          "metrics of the best validation checkpoint; best per column in bold";

}  // namespace

TEST_CASE("report: the main table is mean ± sample std over seeds, best per column marked, mse lower is better", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db);
    add_fake_run(db, {"tables", "sm4", "tables/sm4", 2, {{"wine", {{"accuracy", 0.1}}}}, kRunFailed});
    const Report report = build_report(db, {});
    CHECK(print_table(report.main, TableFormat::Markdown) ==
          "### Test results\n\n"
          "| method | seeds | wine accuracy ↑ | push mse ↓ |\n"
          "|---|---:|---:|---:|\n"
          "| sm4 | 2 | **0.920 ± 0.028** | 0.600 ± 0.141 |\n"
          "| dense | 2 | 0.830 ± 0.042 | **0.420 ± 0.028** |\n"
          "\n" + kNote + ".\n");
    CHECK(report.notes == std::vector<std::string>{"left out 1 failed run: 5"});
}

TEST_CASE("report: the same records as CSV (mean, std, best columns) and LaTeX (booktabs)", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db);
    const Report report = build_report(db, {});
    CHECK(print_table(report.main, TableFormat::Csv) ==
          "method,seeds,wine accuracy,wine accuracy std,wine accuracy best,push mse,push mse std,push mse best\n"
          "sm4,2,0.92,0.0282843,1,0.6,0.141421,0\n"
          "dense,2,0.83,0.0424264,0,0.42,0.0282843,1\n");
    CHECK(print_table(report.main, TableFormat::Latex) ==
          "% " + kNote + ".\n"
          "\\begin{table}[t]\n\\centering\n\\caption{Test results}\n\\begin{tabular}{lrrr}\n\\toprule\n"
          "method & seeds & wine accuracy $\\uparrow$ & push mse $\\downarrow$ \\\\\n\\midrule\n"
          "sm4 & 2 & \\textbf{0.920 $\\pm$ 0.028} & 0.600 $\\pm$ 0.141 \\\\\n"
          "dense & 2 & 0.830 $\\pm$ 0.042 & \\textbf{0.420 $\\pm$ 0.028} \\\\\n"
          "\\bottomrule\n\\end{tabular}\n\\end{table}\n");
}

TEST_CASE("report: the ablation table holds the reference and its -no- variants with deltas", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db);
    for (std::int64_t seed = 0; seed < 2; ++seed)
        add_fake_run(db, {"tables", "sm4-no-alp", "x", seed, {{"wine", {{"accuracy", 0.88 + 0.02 * seed}}},
                                                              {"push", {{"mse", 0.65 + 0.1 * seed}}}}});
    const Report report = build_report(db, {});
    CHECK(print_table(report.ablation, TableFormat::Markdown) ==
          "### Ablation\n\n"
          "| variant | seeds | wine accuracy ↑ | push mse ↓ |\n"
          "|---|---:|---:|---:|\n"
          "| sm4 | 2 | **0.920 ± 0.028** | **0.600 ± 0.141** |\n"
          "| sm4-no-alp | 2 | 0.890 ± 0.014 (-0.030) | 0.700 ± 0.071 (+0.100) |\n"
          "\n" + kNote + "; in brackets: the difference from 'sm4'.\n");
    CHECK(report.main.rows.size() == 2);  // sm4 and dense: the ablation variant is left to its own table
    CHECK_THAT(print_table(report.ablation, TableFormat::Csv),
               Contains("sm4-no-alp,2,0.89,0.0141421,-0.03,0,0.7,0.0707107,0.1,0\n"));

    ReportOptions options;
    options.ablation_reference = "dense";
    options.ablation_methods = {"sm4-no-alp"};
    options.main_methods = {"dense", "sm4"};
    const Report chosen = build_report(db, options);
    CHECK(chosen.main.rows.at(0).at(0).text == "dense");
    CHECK(chosen.ablation.rows.at(1).at(2).stat->delta == Approx(0.89 - 0.83));
    options.ablation_methods = {"sm4-no-apl"};
    CHECK_THROWS_WITH(build_report(db, options), "--ablation: method 'sm4-no-apl' is not among the selected runs "
                                                 "(did you mean 'sm4-no-alp'?); methods: sm4, dense, sm4-no-alp");
}

TEST_CASE("report: without the reference method the ablation table says how to choose one", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_fake_run(db, {"", "", "minibench", 0, {{"wine", {{"accuracy", 0.9}}}}});  // a plain `sm4 train` run
    const Report report = build_report(db, {});
    CHECK(print_table(report.main, TableFormat::Markdown) ==
          "### Test results\n\n| method | seeds | wine accuracy ↑ |\n|---|---:|---:|\n| minibench | 1 | **0.900** |\n\n" +
          kNote + ".\n");
    CHECK(report.ablation.rows.empty());
    CHECK(report.ablation.notes == std::vector<std::string>{"no ablation table: the reference method 'sm4' is not among "
                                                            "the selected runs (choose one with --ablation-reference)"});
}

TEST_CASE("report: the FLOPs table sums a task's components and states reductions against reference methods and the dense counterpart", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db);
    db.replace_flops(1, "h", {{"configured", "", "", "total", 1000, 0, 0, std::nullopt},
                              {"configured", "wine", "wine/table", "tokenizer", 100, 100, 200, std::nullopt},
                              {"configured", "wine", "", "experts", 700, 300, 600, 610.0},
                              {"dense", "", "", "total", 2500, 0, 0, std::nullopt},
                              {"dense", "wine", "", "feed_forward", 2000, 2000, 2000, std::nullopt}});
    db.replace_flops(3, "d", {{"configured", "", "", "total", 3000, 0, 0, std::nullopt},
                              {"configured", "wine", "", "feed_forward", 3000, 3000, 1600, std::nullopt}});
    ReportOptions options;
    options.flops_references = {"highmmt", "dense"};  // highmmt has no runs here: no column
    const Report report = build_report(db, options);
    CHECK(print_table(report.flops, TableFormat::Markdown) ==
          "### Parameters and FLOPs\n\n"
          "| method | task | params | active params | FLOPs/sample | reduction vs dense % | same-width dense FLOPs | "
          "reduction vs same-width dense % |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|\n"
          "| sm4 | wine | 1.00 k | 400 | 800 | 50.0 | 2.00 k | 60.0 |\n"
          "| dense | wine | 3.00 k | 3.00 k | 1.60 k | 0.0 | - | - |\n"
          "\n"
          "params: the whole model; active params and FLOPs: per sample of the task (a multiply-add = 2 FLOPs); "
          "reduction vs M: 1 - FLOPs / M's FLOPs on the task (--flops-reference picks M); same-width dense: the "
          "method's own config with a dense feed-forward and plain attention.\n");
    CHECK_THAT(print_table(report.flops, TableFormat::Csv), Contains("sm4,wine,1000,400,800,50.0000,2000,60.0000\n"));
    ReportOptions no_references;
    no_references.flops_references.clear();
    db.replace_flops(3, "d", {});
    CHECK_THAT(print_table(build_report(db, no_references).flops, TableFormat::Markdown),
               Contains("no FLOPs counted yet for dense (`sm4 flops --run 3 --db " + (dir / "sm4.db").string() + "`)"));
}

TEST_CASE("report: runs are selected by sweep or by ids, and unknown ones are named", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db, "tables");                                                  // runs 1-4
    add_fake_run(db, {"other", "smoe", "other/smoe", 0, {{"wine", {{"accuracy", 0.7}}}}});  // run 5
    ReportOptions by_sweep;
    by_sweep.sweep = "other";
    const Report other = build_report(db, by_sweep);
    REQUIRE(other.main.rows.size() == 1);
    CHECK(other.main.rows[0][0].text == "smoe");

    ReportOptions by_ids;
    by_ids.run_ids = {2, 5};
    const Report picked = build_report(db, by_ids);
    REQUIRE(picked.main.rows.size() == 2);
    CHECK(picked.main.rows[0][0].text == "sm4");
    CHECK(picked.main.rows[0][1].text == "1");
    CHECK(picked.main.rows[0][2].stat->mean == Approx(0.94));

    ReportOptions by_experiment;
    by_experiment.experiment = "other";
    CHECK(build_report(db, by_experiment).runs.size() == 1);

    const std::string where = (dir / "sm4.db").string();
    ReportOptions typo;
    typo.sweep = "tabels";
    CHECK_THROWS_WITH(build_report(db, typo),
                      "sweep 'tabels' not found in " + where + " (did you mean 'tables'?); sweeps there: 'other', 'tables'");
    ReportOptions missing;
    missing.run_ids = {4, 7, 8};
    CHECK_THROWS_WITH(build_report(db, missing), "runs 7-8 not found in " + where + "; run ids there: 1-5");
    db.set_status(5, kRunRunning);
    CHECK_THROWS_WITH(build_report(db, by_sweep), "no completed runs among the 1 selected in " + where + " (1 running)");
}
