// The sm4 binary as a user runs it: help, version, exit codes and messages.
#include <catch.hpp>

#include <fstream>

#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::run_sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

TEST_CASE("cli: --help lists every subcommand with a description", "[cli]") {
    const auto r = run_sm4("--help");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("preprocess") && Contains("Convert a raw dataset"));
    CHECK_THAT(r.out, Contains("inspect") && Contains("config"));
    CHECK(run_sm4("preprocess --help").exit_code == 0);
}

TEST_CASE("cli: --version names LibTorch, CUDA, the BLAS and the threads", "[cli]") {
    const auto r = run_sm4("--version");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("sm4 0.") && Contains("LibTorch:") && Contains("CUDA available:"));
    CHECK_THAT(r.out, Contains("BLAS:           OpenBLAS"));
    CHECK_THAT(r.out, Contains("threads:"));
}

TEST_CASE("cli: usage and config errors exit 2, data errors exit 1, and no output is written", "[cli][errors]") {
    TempDir dir;
    const std::string out = (dir / "out.h5").string();

    auto r = run_sm4("preprocess fashion --out " + out);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("sm4: error: unknown dataset 'fashion' (did you mean 'fashion-mnist'?)"));

    r = run_sm4("preprocess wine --set data.sede=1 --out " + out);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("unknown key 'data.sede' (did you mean 'data.seed'?)"));

    r = run_sm4("preprocess wine --src " + (dir / "missing").string() + " --out " + out);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("missing: source of dataset 'wine' does not exist"));

    r = run_sm4("preprocess");
    CHECK(r.exit_code == 2);
    CHECK(dir.entries().empty());
}

TEST_CASE("cli: --dump-config prints the resolved config with sources and writes nothing", "[cli]") {
    TempDir dir;
    const auto r = run_sm4("preprocess wine --set data.seed=4 --dump-config --out " + (dir / "w.h5").string());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("seed = 4") && Contains("# --set"));
    CHECK_THAT(r.out, Contains("val_fraction = 0.1") && Contains("# default"));
    CHECK(dir.entries().empty());
}

TEST_CASE("cli: preprocess then inspect a bundled dataset", "[cli]") {
    TempDir dir;
    const std::string out = (dir / "bc.h5").string();
    auto r = run_sm4("preprocess breast-cancer --out " + out);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("wrote " + out));
    r = run_sm4("inspect " + out);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("task breast-cancer (binary, 2 outputs)"));
    CHECK_THAT(r.out, Contains("examples: train 399, val 57, test 113"));
    CHECK(dir.entries() == std::vector<std::string>{"bc.h5"});
}

TEST_CASE("cli: resuming or evaluating a run in a missing database creates nothing", "[cli][errors]") {
    TempDir dir;
    const std::string db = (dir / "none.db").string();
    auto r = run_sm4("train --resume 3 --db " + db);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("none.db"));
    r = run_sm4("eval --run 3 --db " + db);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("none.db"));
    CHECK(dir.entries().empty());
}

TEST_CASE("cli: training a task whose dataset is missing says how to make it", "[cli][errors]") {
    TempDir dir;
    const auto r = run_sm4("train --set data.tasks=wine --set data.root=" + dir.path().string() +
                           " --set output.database=" + (dir / "sm4.db").string());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("dataset of task 'wine' not found (make it with `sm4 preprocess wine --out"));
}

TEST_CASE("cli: a config string with a NUL gives one line naming the key, and writes nothing", "[cli][errors]") {
    TempDir dir;
    const auto config = dir / "nul.toml";
    std::ofstream(config) << "[data]\nroot = \"da\\u0000ta\"\n";
    const auto r = run_sm4("train -c " + config.string() + " --set output.database=" + (dir / "sm4.db").string());
    CHECK(r.exit_code == 2);
    CHECK(r.err == "sm4: error: " + config.string() +
                       ":2: key 'data.root' expects text without control characters, found \"da\\x00ta\"\n");
    CHECK(dir.entries() == std::vector<std::string>{"nul.toml"});
}
