#include <catch.hpp>
#include <png.h>

#include <regex>

#include "report/report.h"
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
    TraceWriter trace(path, {{"routing/entropy", {2, 3}}, {"routing/load", {2, 4}}, {"pace/multiplier", {2}}},
                      {{"layers", {"block0.ffn", "block1.ffn"}},
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
    CHECK(notes == std::vector<std::string>{"no plots for run 2: no trace at " + runs_dir + "/2/trace.h5"});
    for (const char* table : {"main", "ablation", "flops"})
        for (TableFormat format : {TableFormat::Markdown, TableFormat::Csv, TableFormat::Latex})
            CHECK(std::filesystem::exists(out / (std::string(table) + "." + table_format_extension(format))));
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
    for (const char* label : {">block1.ffn<", ">0.400<", ">0.100<", ">expert<"}) CHECK_THAT(load, Contains(label));
}

TEST_CASE("report: PNG plots carry the PNG signature and the chart's size; constant pace is skipped", "[report]") {
    TempDir dir;
    write_trace(dir / "trace.h5", false);
    const TraceData trace = read_trace(dir / "trace.h5", {"routing/entropy", "routing/load", "pace/multiplier"});
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
