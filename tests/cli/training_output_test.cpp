// What training says while it runs, piped to a file as in a batch job: a start line naming the
// run, its folder and database before the first step; plain progress lines; -q and -v; and a
// `sweep --jobs` that shows its children's progress and names their logs after their runs.
#include <catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "io/results_db.h"
#include "../support/run_command.h"
#include "../train/training_fixture.h"

using namespace sm4;
using sm4::test::run_command;
using sm4::test::SmallExperiment;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// sm4 with progress wanted (the suite sets SM4_NO_PROGRESS) and a progress line at every
// train.log_every steps; stderr is a file here, as in a batch job.
sm4::test::CommandResult run_piped(const std::string& arguments) {
    return run_command("env -u SM4_NO_PROGRESS SM4_PROGRESS_SECONDS=0 " + std::string(SM4_BINARY) + " " + arguments);
}

std::size_t count_matches(const std::string& text, const std::regex& pattern) {
    return static_cast<std::size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), pattern),
                                                  std::sregex_iterator()));
}

}  // namespace

TEST_CASE("cli: piped training prints a start line, then a progress line every log_every steps", "[cli][train]") {
    SmallExperiment experiment;
    const auto r = run_piped("train" + experiment.set_arguments());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // Before anything else: the run, its folder, its database, the device and the overrides.
    CHECK_THAT(r.err, StartsWith("run 1 started (75 steps): folder " + (experiment.dir() / "runs" / "1").string() +
                                 ", database " + experiment.database() + ", cpu with 1 thread; overrides "));
    CHECK_THAT(r.err, Contains("train.log_every=5"));
    // log_every is 5 and the interval 0 s: 15 lines over 75 steps, each with rate and ETA (not the last).
    const std::regex line(R"(run 1: step \d+/75 \(epoch [1-3]/3\), loss \d+\.\d{4}, \d+\.\d steps/s(, ETA \S+)?\n)");
    CHECK(count_matches(r.err, line) == 15);
    CHECK_THAT(r.err, Contains("run 1: step 5/75 (epoch 1/3), loss ") && Contains(", ETA "));
    CHECK(r.err.find('\r') == std::string::npos);  // no redrawn line in a file
    CHECK_THAT(r.err, Contains("epoch 1/3: val score"));
    CHECK(r.err.find(" [wine ") == std::string::npos);  // per-task losses only with -v

    // A plain `sm4 train` run gets its config hash too, so repeats group in `runs list`.
    CHECK(std::regex_match(ResultsDb(experiment.database()).find_run(1)->config_hash, std::regex("[0-9a-f]{16}")));

    const auto verbose = run_piped("-v train" + experiment.set_arguments());
    CHECK_THAT(verbose.err, Contains("run 2: step 5/75 (epoch 1/3), loss ") && Contains(" [wine "));
    CHECK(ResultsDb(experiment.database()).find_run(2)->config_hash == ResultsDb(experiment.database()).find_run(1)->config_hash);
}

TEST_CASE("cli: -q keeps only the results; the default interval keeps a short run to its start line", "[cli][train]") {
    SmallExperiment experiment;
    const auto r = run_piped("train -q" + experiment.set_arguments());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK_THAT(r.out, Contains("run 1 completed in") && Contains("test split"));
    const auto global = run_piped("-q train" + experiment.set_arguments());
    CHECK(global.err.empty());
    // The default 30 s interval: a run of a few seconds prints its start line but no progress line.
    const auto quick = run_command("env -u SM4_NO_PROGRESS " + std::string(SM4_BINARY) + " train" +
                                   experiment.set_arguments());
    CHECK_THAT(quick.err, StartsWith("run 3 started"));
    CHECK(quick.err.find("run 3: step") == std::string::npos);
}

TEST_CASE("cli: sweep --jobs shows each child's progress and names its log <run>-<variant>.log", "[cli][sweep]") {
    SmallExperiment experiment;
    const auto file = experiment.dir() / "sweep.toml";
    std::ofstream(file) << "[sweep]\nname = \"pair\"\n[[sweep.variant]]\nname = \"smoe\"\n"
                           "[[sweep.variant]]\nname = \"dense\"\nset = { \"model.backbone\" = \"dense\" }\n";
    const auto r = run_piped("sweep " + file.string() + " --jobs 2" +
                             experiment.set_arguments({"train.epochs=3", "train.steps_per_epoch=60"}));
    INFO(r.out + r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(count_matches(r.out, std::regex(R"(\[[12]/2\] (smoe|dense) seed 0: run [12]: step \d+/180 )")) >= 1);
    std::set<std::string> logs, expected;
    for (const auto& entry : std::filesystem::directory_iterator(experiment.dir() / "runs" / "sweep-logs"))
        logs.insert(entry.path().filename().string());
    for (const auto& run : ResultsDb(experiment.database()).list_runs())
        expected.insert(std::to_string(run.id) + "-" + run.variant + ".log");
    CHECK(expected.size() == 2);
    CHECK(logs == expected);
    // Each log holds its own run's start line and progress.
    for (const auto& run : ResultsDb(experiment.database()).list_runs()) {
        const auto text = sm4::test::slurp(experiment.dir() / "runs" / "sweep-logs" /
                                           (std::to_string(run.id) + "-" + run.variant + ".log"));
        CHECK_THAT(text, StartsWith("run " + std::to_string(run.id) + " started"));
        CHECK_THAT(text, Contains("run " + std::to_string(run.id) + ": step "));
    }
}
