// `sm4 report` as data: the tables' task order, the tidy CSV, the JSON document, an empty
// ablation table left out, and the FLOPs hint that works as printed.
#include <catch.hpp>

#include "report/report.h"
#include "report_fixture.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::add_fake_run;
using sm4::test::add_two_variants;
using sm4::test::run_command;
using sm4::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("report: table columns follow the configs' data.tasks order, not the order metrics were logged", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    // logged alphabetically (as a per-task loop might), configured breast-cancer, wine, audio
    for (std::int64_t seed = 0; seed < 2; ++seed)
        add_fake_run(db, {"s", "sm4", "s/sm4", seed,
                          {{"audio", {{"accuracy", 0.5}}}, {"breast-cancer", {{"accuracy", 0.9}}}, {"wine", {{"accuracy", 0.8}}}},
                          kRunCompleted, "results/runs", {"breast-cancer", "wine", "audio"}});
    add_fake_run(db, {"s", "dense", "s/dense", 0, {{"extra", {{"mse", 0.1}}}, {"wine", {{"accuracy", 0.7}}}},
                      kRunCompleted, "results/runs", {"wine", "extra"}});
    const Report report = build_report(db, {});
    CHECK(report.tasks == std::vector<std::string>{"breast-cancer", "wine", "audio", "extra"});
    std::vector<std::string> headers;
    for (const auto& column : report.main.columns) headers.push_back(column.name);
    CHECK(headers == std::vector<std::string>{"method", "seeds", "breast-cancer accuracy", "wine accuracy",
                                              "audio accuracy", "extra mse"});
}

TEST_CASE("report: an empty ablation table is left out of the printout and the files, with a note", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_fake_run(db, {"", "", "minibench", 0, {{"wine", {{"accuracy", 0.9}}}}});
    const Report report = build_report(db, {});
    CHECK_FALSE(report.has_ablation());
    for (TableFormat format : {TableFormat::Markdown, TableFormat::Text, TableFormat::Csv, TableFormat::Latex}) {
        const std::string printed = format_report(report, format);
        CHECK_THAT(printed, !Contains("Ablation") && !Contains("no ablation table"));
        CHECK_THAT(printed, Contains("Test results") && Contains("Parameters and FLOPs"));
    }
    CHECK(omitted_table_notes(report) == std::vector<std::string>{"no ablation table: the reference method 'sm4' is not "
                                                                  "among the selected runs (choose one with --ablation-reference)"});
    write_report(report, dir / "out", PlotFormat::None);
    CHECK(std::filesystem::exists(dir / "out" / "main.csv"));
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "ablation.csv"));
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "ablation.md"));

    add_fake_run(db, {"", "sm4", "x", 0, {{"wine", {{"accuracy", 0.9}}}}});
    add_fake_run(db, {"", "sm4-no-alp", "x", 0, {{"wine", {{"accuracy", 0.8}}}}});
    CHECK(omitted_table_notes(build_report(db, {})).empty());
    CHECK_THAT(format_report(build_report(db, {}), TableFormat::Markdown), Contains("### Ablation"));
}

TEST_CASE("report: the tidy CSV holds every test metric as method,task,metric,mean,std,n", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db);
    add_fake_run(db, {"tables", "smoe", "tables/smoe", 0, {{"wine", {{"accuracy", 0.7}}}}});
    const Report report = build_report(db, {});
    CHECK(format_tidy(report) ==
          "method,task,metric,mean,std,n\n"
          "sm4,wine,accuracy,0.92,0.0282842712475,2\n"
          "sm4,wine,macro_f1,0.5,0,2\n"
          "sm4,push,mse,0.6,0.141421356237,2\n"
          "sm4,push,mae,0.1,0,2\n"
          "dense,wine,accuracy,0.83,0.0424264068712,2\n"
          "dense,wine,macro_f1,0.5,0,2\n"
          "dense,push,mse,0.42,0.0282842712475,2\n"
          "dense,push,mae,0.1,0,2\n"
          "smoe,wine,accuracy,0.7,,1\n");
    write_report(report, dir / "out", PlotFormat::None);
    CHECK(sm4::test::slurp(dir / "out" / "tidy.csv") == format_tidy(report));
    const auto pandas = run_command("/usr/bin/python3 -c \"import csv; rows = list(csv.DictReader(open('" +
                                    (dir / "out" / "tidy.csv").string() + "'))); print(len(rows), rows[0]['mean'])\"");
    CHECK(pandas.out == "9 0.92\n");
}

TEST_CASE("report: --json is one document with the runs, the tables, the tidy records and the notes", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "sm4.db");
    add_two_variants(db);
    const std::string json = format_report(build_report(db, {}), TableFormat::Json);
    CHECK_THAT(json, StartsWith("{\"database\": \"" + (dir / "sm4.db").string() + "\", \"tasks\": [\"wine\", \"push\"], "
                                "\"runs\": [{\"id\": 1, \"name\": \"tables/sm4\", \"method\": \"sm4\", \"seed\": 0, "
                                "\"sweep\": \"tables\", \"variant\": \"sm4\"}, "));
    CHECK_THAT(json, Contains("\"main\": [{\"method\": \"sm4\", \"seeds\": 2, \"wine_accuracy\": {\"mean\": "));
    CHECK_THAT(json, Contains("\"tidy\": [{\"method\": \"sm4\", \"task\": \"wine\", \"metric\": \"accuracy\", \"mean\": "
                              "0.92, \"std\": 0.0282842712475, \"n\": 2}, "));
    CHECK_THAT(json, Contains("\"notes\": [\"no ablation table: "));
    write_report(build_report(db, {}), dir / "out", PlotFormat::None);
    CHECK(sm4::test::slurp(dir / "out" / "report.json") == json);
    const auto keys = run_command("/usr/bin/python3 -c \"import json; d = json.load(open('" +
                                  (dir / "out" / "report.json").string() + "')); "
                                  "print(' '.join(d), len(d['runs']), len(d['tidy']))\"");
    CHECK(keys.out == "database tasks runs main ablation flops tidy paper notes table_notes 4 8\n");
}

TEST_CASE("report: the FLOPs hint names --db when the database is not the default one", "[report]") {
    TempDir dir;
    ResultsDb db(dir / "my results.db");
    add_two_variants(db);
    const std::string quoted = "'" + (dir / "my results.db").string() + "'";
    CHECK_THAT(print_table(build_report(db, {}).flops, TableFormat::Markdown),
               Contains("sm4 (`sm4 flops --run 1 --db " + quoted + "`), dense (`sm4 flops --run 3 --db " + quoted + "`)"));
    ReportOptions same;
    same.default_database = (dir / "." / "my results.db").string();  // the same file, spelt differently
    CHECK_THAT(print_table(build_report(db, same).flops, TableFormat::Markdown), Contains("(`sm4 flops --run 1`)"));
}
