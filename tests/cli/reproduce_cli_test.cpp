// `sm4 reproduce` end to end, shortened: it makes the missing datasets, trains and prints the table.
#include <catch.hpp>

#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::TempDir;
using Catch::Matchers::Contains;

TEST_CASE("reproduce: prepares missing data, trains minibench and prints the per-task test table", "[cli][slow]") {
    TempDir dir;
    const std::string sets = " --set data.root=" + (dir / "datasets").string() +
                             " --set output.database=" + (dir / "sm4.db").string() +
                             " --set output.runs_dir=" + (dir / "runs").string() +
                             " --set train.epochs=1 --set train.steps_per_epoch=15 --set train.threads=1";
    const auto r = sm4::test::run_command("cd " + dir.path().string() + " && SM4_NO_PROGRESS=1 " + SM4_BINARY +
                                          " reproduce" + sets);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("minibench: run 1 completed"));
    for (const char* task : {"fashion-mnist", "digits-av", "breast-cancer", "wine"}) {
        CHECK_THAT(r.out, Contains(task));
        CHECK(std::filesystem::exists(dir / "datasets" / (std::string(task) + ".h5")));
    }
    CHECK_THAT(r.err, Contains("reproduce: preparing fashion-mnist"));

    // A second time nothing needs preparing.
    const auto again = sm4::test::run_command("cd " + dir.path().string() + " && SM4_NO_PROGRESS=1 " + SM4_BINARY +
                                              " reproduce" + sets);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.err, !Contains("preparing"));
    CHECK_THAT(again.out, Contains("run 2 completed"));
}
