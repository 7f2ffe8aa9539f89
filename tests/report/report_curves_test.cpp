// `sm4 report`'s learning curves: a plot per run of loss and the task metric on the train and
// validation splits, from the metrics table.
#include <catch.hpp>

#include "report/report.h"
#include "report/report_curves.h"
#include "report/report_plots.h"
#include "report_fixture.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::add_fake_run;
using sm4::test::slurp;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// What a training run logs: the train loss every 10 steps, the validation loss and metric at each
// epoch's end (steps 25 and 50); wine first, as the database would hold it.
void add_history(ResultsDb& db, std::int64_t run) {
    std::vector<MetricRecord> rows;
    for (std::int64_t step = 10; step <= 50; step += 10) {
        rows.push_back({run, step, step / 25, "train", "wine", "loss", 1.0 - step / 100.0, "train"});
        rows.push_back({run, step, step / 25, "train", "push", "loss", 2.0 - step / 50.0, "train"});
        rows.push_back({run, step, step / 25, "train", "all", "total_loss", 3.0, "train"});
    }
    for (std::int64_t epoch = 1; epoch <= 2; ++epoch) {
        const std::int64_t step = 25 * epoch;
        rows.push_back({run, step, epoch, "val", "wine", "loss", 0.9 - 0.1 * epoch, "train"});
        rows.push_back({run, step, epoch, "val", "wine", "accuracy", 0.5 + 0.2 * epoch, "train"});
        rows.push_back({run, step, epoch, "val", "wine", "macro_f1", 0.4 + 0.2 * epoch, "train"});
        rows.push_back({run, step, epoch, "val", "push", "loss", 1.8 - 0.2 * epoch, "train"});
        rows.push_back({run, step, epoch, "val", "push", "mse", 1.8 - 0.2 * epoch, "train"});
    }
    db.add_metrics(rows);
}

}  // namespace

TEST_CASE("report: --out writes each run's learning curves: a row per task in data.tasks order, loss beside the metric", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const std::string runs_dir = (dir / "runs").string();
    const auto run = add_fake_run(db, {"s", "sm4", "s/sm4", 0, {{"wine", {{"accuracy", 0.9}}}, {"push", {{"mse", 0.5}}}},
                                       kRunCompleted, runs_dir, {"push", "wine"}});
    add_history(db, run);
    const Report report = build_report(db, {});
    const auto notes = write_report(report, dir / "report", PlotFormat::Svg);
    CHECK_THAT(notes.at(0), Contains("no trace plots for run 1"));  // the curves need only the database

    const std::string svg = slurp(dir / "report" / "plots" / "sm4-run1-curves.svg");
    CHECK_THAT(svg, Contains(">Learning curves, run 1 (sm4)</text>"));
    const auto push = svg.find(">push: loss<"), wine = svg.find(">wine: loss<");
    REQUIRE(push != std::string::npos);
    REQUIRE(wine != std::string::npos);
    CHECK(push < wine);  // push's row first, as data.tasks lists it
    CHECK_THAT(svg, Contains(">push: mse<") && Contains(">wine: accuracy<"));  // the headline metric, not macro_f1
    CHECK(count(svg, ">macro_f1<") == 0);
    // loss panels: train and val lines; metric panels: val only (training logs no train accuracy)
    CHECK(count(svg, "<polyline") == 2 + 1 + 2 + 1);
    CHECK(count(svg, ">train</text>") == 2);
    CHECK(count(svg, ">val</text>") == 4);
    CHECK(count(svg, "stroke=\"#1f77b4\"") >= 2);  // train in the palette's first colour in every panel
    // val points marked, and in each legend: the losses at steps 25 and 50, the metrics also at the
    // fixture's final step 100
    CHECK(count(svg, "fill=\"#ff7f0e\"/>") == (2 + 3) * 2 + 4);

    save_chart(*learning_curves(report.runs[0].history, report.runs[0].tasks, "run 1"), dir / "curves.png", PlotFormat::Png);
    CHECK(slurp(dir / "curves.png").substr(0, 8) == "\x89PNG\r\n\x1a\n");
}

TEST_CASE("report: learning curves keep the last value of a step logged twice and skip runs with no history", "[report]") {
    const std::vector<MetricRecord> history = {{1, 10, 1, "train", "wine", "loss", 0.9, "train"},
                                               {1, 20, 1, "train", "wine", "loss", 0.8, "train"},
                                               {1, 20, 1, "train", "wine", "loss", 0.7, "train"},  // resumed at step 20
                                               {1, 20, 1, "val", "wine", "accuracy", 0.6, "train"}};
    const auto grid = learning_curves(history, {}, "run 1");
    REQUIRE(grid);
    REQUIRE(grid->rows.size() == 1);
    REQUIRE(grid->rows[0].size() == 2);
    CHECK(grid->rows[0][0].series.at(0).y == std::vector<double>{0.9, 0.7});
    CHECK(grid->rows[0][1].series.at(0).name == "val");
    CHECK_FALSE(learning_curves({}, {"wine"}, "run 1").has_value());

    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_fake_run(db, {"", "", "minibench", 0, {}, kRunCompleted, (dir / "runs").string()});
    const auto notes = write_plots(build_report(db, {}), dir / "plots", PlotFormat::Svg);
    CHECK(notes.at(0) == "no learning curves for run 1: no train or val metrics logged");
}
