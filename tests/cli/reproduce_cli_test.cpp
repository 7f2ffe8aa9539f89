// `sm4 reproduce --quick` end to end, shortened further: it makes the missing datasets, runs the
// sweep of SM4, its ablations and the baselines, counts FLOPs, prints and writes the report.
#include <catch.hpp>

#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::TempDir;
using Catch::Matchers::Contains;

TEST_CASE("reproduce --quick: prepares the data, runs every method, prints the three tables", "[cli][slow]") {
    TempDir dir;
    const std::string command = "cd " + dir.path().string() + " && SM4_NO_PROGRESS=1 " + SM4_BINARY +
                                " reproduce --quick --jobs 2 --set data.root=" + (dir / "datasets").string() +
                                " --set train.steps_per_epoch=4 --set train.batch_size=16";
    const auto r = sm4::test::run_command(command);
    INFO(r.out);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* task : {"fashion-mnist", "digits-av", "breast-cancer", "wine"})
        CHECK(std::filesystem::exists(dir / "datasets" / (std::string(task) + ".h5")));
    CHECK_THAT(r.err, Contains("reproduce: preparing fashion-mnist"));
    CHECK_THAT(r.out, Contains("18 runs of"));
    // The main table has a row per method, the ablation table SM4's three ablations, and the
    // FLOPs table the reduction against the dense counterpart.
    for (const char* method : {"| dense ", "| sm4-no-smoa ", "| sm4-no-smoe ", "| single-task ", "| pcgrad ",
                               "| sm4-no-aea ", "| highmmt ", "| dense-matched ", "| highmmt-sm4-tokens ", "| smoe "})
        CHECK_THAT(r.out, Contains(method));
    CHECK_THAT(r.out, Contains("reduction vs highmmt %") && Contains("reduction vs dense-matched %"));
    for (const char* task : {"fashion-mnist", "digits-av", "breast-cancer", "wine"})  // one run per task
        CHECK_THAT(r.out, Contains("| single-task | " + std::string(task) + " |"));
    const auto report = dir / "results" / "reproduce" / "minibench-quick" / "report";
    // Table 2 / Table 4 style with Delta against HighMMT and the paper's numbers beside; where the
    // FLOPs reduction comes from, with the trained methods' test metrics.
    CHECK_THAT(r.out, Contains("| Δ(%) ↑ |"));
    CHECK_THAT(r.out, Contains("### Table 2 (medium group)") && Contains("### Table 4 (medium group)"));
    CHECK_THAT(r.out, Contains("| `sm4` | paper: SM4 (ours) | 71.58 | 0.475 | 71.86 |"));
    CHECK_THAT(r.out, Contains("Where SM4's FLOPs reduction comes from") && Contains("| `highmmt-sm4-tokens` |"));
    for (const char* file : {"main.md", "main.csv", "main.tex", "ablation.md", "flops.md", "paper.md", "paper.csv",
                             "paper.tex", "flops-sources.md", "flops-sources.csv"})
        CHECK(std::filesystem::exists(report / file));
    CHECK_FALSE(std::filesystem::is_empty(report / "plots"));

    // A second time nothing is prepared or trained again.
    const auto again = sm4::test::run_command(command);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.err, !Contains("preparing"));
    CHECK_THAT(again.out, !Contains("started"));
    CHECK_THAT(again.out, Contains("skipped, completed earlier"));
}

TEST_CASE("reproduce: a task group without the user's files names each missing file and its command", "[cli]") {
    TempDir dir;
    const auto r = sm4::test::run_command("cd " + dir.path().string() + " && " + SM4_BINARY +
                                          " reproduce small --data " + (dir / "mb").string());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("2 of the experiment's 2 datasets are missing"));
    CHECK_THAT(r.err, Contains((dir / "mb" / "push.h5").string() + ": sm4 preprocess push --src PATH --out"));
    CHECK_THAT(r.err, Contains("vt.h5: sm4 preprocess vt --src PATH"));
    CHECK_FALSE(std::filesystem::exists(dir / "results" / "reproduce" / "small" / "sm4.db"));
}
