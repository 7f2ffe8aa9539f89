#include <catch.hpp>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "report/report.h"
#include "report/report_adaptive.h"
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

// A trace like run_trace.cpp writes: 2 routing layers, 3 modality slots, 4 experts, 2 pace groups, 5 rows.
void write_trace(const std::filesystem::path& path, bool pace) {
    TraceWriter trace(path, {{"routing/entropy", {2, 3}}, {"routing/load", {2, 4}}, {"pace/weight", {2}}},
                      {{"layers", {"layer0.ffn", "layer1.ffn"}},
                       {"modalities", {"wine/table", "digits-av/image", "digits-av/audio"}},
                       {"experts", {"expert0", "expert1", "expert2", "expert3"}},
                       {"pace_groups", {"image", "audio"}}});
    for (int row = 0; row < 5; ++row) {
        const float t = row / 4.0f;
        trace.append(10 * (row + 1), {{0.9f - 0.2f * t, 0.8f, 0.7f + 0.1f * t, 0.9f - 0.4f * t, 0.8f, 0.6f},
                                      {0.4f, 0.3f, 0.2f, 0.1f, 0.25f, 0.25f, 0.25f, 0.25f},
                                      {pace ? 1.0f + 0.1f * row : 1.0f, pace ? 1.0f - 0.1f * row : 1.0f}});
    }
    trace.flush();
}

// A trace of three slots, two of them never routed (NaN entropy); two pace groups paced alike.
void write_sm4_trace(const std::filesystem::path& path) {
    const std::vector<std::string> groups = {"wine/table", "digits-av/image", "digits-av/audio"};
    TraceWriter trace(path, {{"routing/entropy", {2, 3}}, {"routing/load", {2, 4}}, {"pace/weight", {3}}},
                      {{"layers", {"layer0.ffn", "layer1.ffn"}}, {"modalities", groups},
                       {"experts", {"expert0", "expert1", "expert2", "expert3"}}, {"pace_groups", groups}});
    const float nan = std::nanf("");
    for (int row = 0; row < 5; ++row)
        trace.append(10 * (row + 1), {{0.9f, nan, nan, 0.8f, nan, nan},
                                      {0.2f, 0.2f, 0.3f, 0.3f, 0.25f, 0.25f, 0.25f, 0.25f},
                                      {1.0f + 0.1f * row, 1.0f + 0.1f * row, 1.0f}});
    trace.flush();
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("report: --out writes the tables and SVG plots: one polyline per modality, labels, a heatmap", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const std::string runs_dir = (dir / "runs").string();
    add_fake_run(db, {"s", "sm4", "s/sm4", 0, {{"wine", {{"accuracy", 0.9}}}}, kRunCompleted, runs_dir});
    add_fake_run(db, {"s", "dense", "s/dense", 0, {{"wine", {{"accuracy", 0.8}}}}, kRunCompleted, runs_dir});
    write_trace(dir / "runs" / "1" / "trace.h5", true);
    const Report report = build_report(db, {});
    const auto out = dir / "report";
    const auto notes = write_report(report, out, PlotFormat::Svg);
    CHECK(notes == std::vector<std::string>{"no trace plots for run 2: no trace at " + runs_dir + "/2/trace.h5"});
    for (const char* table : {"main", "flops"})
        for (TableFormat format : {TableFormat::Markdown, TableFormat::Csv, TableFormat::Latex})
            CHECK(std::filesystem::exists(out / (std::string(table) + "." + table_format_extension(format))));
    CHECK_FALSE(std::filesystem::exists(out / "ablation.md"));  // no sm4-no-* method: left out
    for (const char* file : {"tidy.csv", "report.json", "plots/sm4-run1-curves.svg", "plots/dense-run2-curves.svg"})
        CHECK(std::filesystem::exists(out / file));
    CHECK(slurp(out / "main.md") == print_table(report.main, TableFormat::Markdown));

    const std::string entropy = slurp(out / "plots" / "sm4-run1-entropy.svg");
    CHECK(count(entropy, "<polyline") == 3);
    CHECK_THAT(entropy, Contains(">Routing entropy per modality, run 1 (sm4)</text>"));
    for (const char* label : {">wine/table<", ">digits-av/image<", ">digits-av/audio<", ">step<", ">0.6<", ">50<"})
        CHECK_THAT(entropy, Contains(label));
    // wine/table: mean over the two layers of (0.9 - 0.2 t, 0.9 - 0.4 t) falls from 0.9 to 0.6, the y axis spans 0.6-0.9
    CHECK(std::regex_search(entropy, std::regex("<polyline points=\"90\\.0,70\\.0 [^\"]* [0-9.]+,496\\.0\" fill=\"none\" "
                                                "stroke=\"#1f77b4\"")));
    const std::string pace = slurp(out / "plots" / "sm4-run1-pace.svg");
    CHECK(count(pace, "<polyline") == 2);
    CHECK_THAT(pace, Contains(">audio<"));
    const std::string load = slurp(out / "plots" / "sm4-run1-load.svg");
    CHECK(count(load, "<rect") == 1 + 8 + 40);  // background, layers x experts, colour bar
    for (const char* label : {">layer1.ffn<", ">0.400<", ">0.100<", ">expert<"}) CHECK_THAT(load, Contains(label));
}

TEST_CASE("report: PNG plots carry the PNG signature and the chart's size; constant pace is skipped", "[report]") {
    TempDir dir;
    write_trace(dir / "trace.h5", false);
    const TraceData trace = read_trace(dir / "trace.h5", {"routing/entropy", "routing/load", "pace/weight"});
    CHECK(trace.steps == std::vector<std::int64_t>{10, 20, 30, 40, 50});
    CHECK_FALSE(pace_chart(trace, "run 1").has_value());
    const LineChart chart = *entropy_chart(trace, "run 1");
    save_chart(chart, dir / "entropy.png", PlotFormat::Png);
    CHECK(slurp(dir / "entropy.png").substr(0, 8) == "\x89PNG\r\n\x1a\n");
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE(png_image_begin_read_from_file(&image, (dir / "entropy.png").c_str()));
    CHECK(image.width == static_cast<png_uint_32>(chart_size(chart).width));
    CHECK(image.height == static_cast<png_uint_32>(chart_size(chart).height));
    CHECK(image.width == 960);
    png_image_free(&image);
    CHECK_THROWS_WITH(read_trace(dir / "none.h5", {}), (dir / "none.h5").string() + ": no such trace file");
}

TEST_CASE("report: a slot never routed is named so in the entropy legend, with no line", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const std::string runs_dir = (dir / "runs").string();
    add_fake_run(db, {"s", "sm4", "s/sm4", 0, {{"wine", {{"accuracy", 0.9}}}}, kRunCompleted, runs_dir, {},
                      "[model]\nbackbone = \"sm4\"\n"});
    write_sm4_trace(dir / "runs" / "1" / "trace.h5");
    write_report(build_report(db, {}), dir / "report", PlotFormat::Svg);
    const std::string entropy = slurp(dir / "report" / "plots" / "sm4-run1-entropy.svg");
    CHECK(count(entropy, "<polyline") == 1);  // wine/table only
    // greyed, the reason on a line of its own (a long legend would squeeze the plot)
    CHECK(count(entropy, "fill=\"#828282\" text-anchor=\"start\" dominant-baseline=\"central\">digits-av/") == 2);
    CHECK(count(entropy, ">  (never routed)</text>") == 2);
    CHECK_THAT(entropy, Contains(">wine/table</text>"));
    const TraceData trace = read_trace(dir / "runs" / "1" / "trace.h5", {"routing/entropy", "routing/load"});
    CHECK(entropy_chart(trace, "run 1")->series.at(1).name == "digits-av/image (never routed)");
}

TEST_CASE("report: a heatmap's column groups are parted and named under their columns", "[report]") {
    TempDir dir;
    write_sm4_trace(dir / "trace.h5");
    const TraceData trace = read_trace(dir / "trace.h5", {"routing/load"});
    Heatmap map = *load_heatmap(trace, "run 1");
    const ChartSize plain = chart_size(map);
    map.column_groups = {{"wine/table", 2}, {"digits-av/image", 1}, {"digits-av/audio", 1}};
    save_chart(map, dir / "load.svg", PlotFormat::Svg);
    const std::string svg = slurp(dir / "load.svg");
    CHECK(count(svg, "stroke=\"#ffffff\" stroke-width=\"4\"") == 2);  // a separator before groups 2 and 3
    // the names under their columns: a narrow group's on two lines, split after its '/'
    for (const char* name : {">wine/table<", ">digits-av/<", ">image<", ">audio<"}) CHECK_THAT(svg, Contains(name));
    CHECK(chart_size(map).height > plain.height);  // a row for the names
}

TEST_CASE("report: pace lines that coincide stay visible: wider lines below, a marker each", "[report]") {
    TempDir dir;
    write_sm4_trace(dir / "trace.h5");
    const LineChart chart = *pace_chart(read_trace(dir / "trace.h5", {"pace/weight"}), "run 1");
    REQUIRE(chart.series.size() == 3);
    CHECK(chart.series[0].y == chart.series[1].y);
    CHECK(chart.series[0].width > chart.series[1].width);
    CHECK(chart.series[1].width > chart.series[2].width);
    CHECK(chart.series[0].marker != chart.series[1].marker);
    save_chart(chart, dir / "pace.svg", PlotFormat::Svg);
    const std::string svg = slurp(dir / "pace.svg");
    CHECK(count(svg, "stroke=\"#1f77b4\" stroke-width=\"6\"") == 1);  // group 0's line, below group 1's
    CHECK(count(svg, "stroke=\"#ff7f0e\" stroke-width=\"4\"") == 1);
    CHECK(count(svg, "fill=\"#1f77b4\"/>") == 5 + 1);               // group 0: a square per point and in the legend
    CHECK(count(svg, "stroke=\"#ff7f0e\" stroke-width=\"2\"/>") == 2 * 5 + 2);  // group 1: a cross per point and in the legend
}

TEST_CASE("report: AEA's k, ALP's weights and the generalisation gap per slot over the epochs; still ones left out",
          "[report][aea][alp]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    const std::string runs_dir = (dir / "runs").string();
    add_fake_run(db, {"s", "sm4", "s/sm4", 0, {{"wine", {{"accuracy", 0.9}}}}, kRunCompleted, runs_dir});
    add_fake_run(db, {"s", "sm4-no-aea", "s/sm4-no-aea", 0, {{"wine", {{"accuracy", 0.8}}}}, kRunCompleted, runs_dir});
    const double nan = std::nan("");
    db.add_modality_epochs({{1, 1, 10, "wine/table", 1, 0.5, 0.4, 0.9, 1.0, false},
                            {1, 1, 10, "digits-av/audio", 1, 0.9, 0.5, 1.2, 1.0, false},
                            {1, 2, 20, "wine/table", 2, 0.6, 0.3, 0.8, 0.6, false},
                            {1, 2, 20, "digits-av/audio", 1, 0.8, 0.4, 1.1, 0.4, false},
                            {1, 3, 30, "wine/table", 1, 0.7, 0.2, 0.7, 0.55, true},
                            {1, 3, 30, "digits-av/audio", 1, nan, nan, 1.0, 0.45, false},
                            {2, 1, 10, "wine/table", 1, 0.5, 0.4, 0.9, 1.0, false},
                            {2, 2, 20, "wine/table", 1, 0.4, 0.3, 0.8, 1.0, false}});
    const auto notes = write_report(build_report(db, {}), dir / "report", PlotFormat::Svg);
    const auto plots = dir / "report" / "plots";
    const std::string k = slurp(plots / "sm4-run1-aea-k.svg");
    CHECK(count(k, "<polyline") == 2);
    CHECK_THAT(k, Contains(">wine/table<") && Contains(">digits-av/audio<") && Contains(">epoch<"));
    CHECK(count(slurp(plots / "sm4-run1-alp-weights.svg"), "<polyline") == 2);
    // The gap line breaks where a loss was not measured: digits-av/audio's epochs 1-2 only.
    const auto gap = generalisation_gap_chart(db.modality_epochs(1), "run 1");
    REQUIRE(gap);
    CHECK(gap->series.at(0).y.at(2) == Approx(0.5));
    CHECK(std::isnan(gap->series.at(1).y.at(2)));
    CHECK(std::filesystem::exists(plots / "sm4-run1-gap.svg"));
    // Run 2: k and the weights never moved, so neither is drawn; the note says why.
    CHECK_FALSE(std::filesystem::exists(plots / "sm4-no-aea-run2-aea-k.svg"));
    CHECK_FALSE(std::filesystem::exists(plots / "sm4-no-aea-run2-alp-weights.svg"));
    CHECK(std::filesystem::exists(plots / "sm4-no-aea-run2-gap.svg"));
    CHECK(std::find(notes.begin(), notes.end(),
                    "no AEA plot for run 2: no slot's k moved (aea.enabled false, or every validation loss kept falling)") !=
          notes.end());
}
