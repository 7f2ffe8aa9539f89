// `sm4 sweep` end to end on tiny runs of the training fixture: skipping what is done, resuming
// what stopped, running in parallel processes, sharding, and `sm4 runs merge`.
#include <catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "io/results_db.h"
#include "../support/run_command.h"
#include "../train/training_fixture.h"

using namespace sm4;
using sm4::test::CommandResult;
using sm4::test::run_sm4;
using sm4::test::run_command;
using sm4::test::SmallExperiment;
using Catch::Matchers::Contains;

extern char** environ;

namespace {

// Two variants x two seeds over the fixture's base config (which comes through --set).
const char* kGrid = R"([sweep]
name = "grid"
seeds = [0, 1]
[[sweep.variant]]
name = "smoe"
[[sweep.variant]]
name = "dense"
set = { "model.backbone" = "dense" }
)";

const std::vector<std::string> kOneEpoch = {"train.epochs=1"};
// Long enough that Ctrl-C after the first epoch lands while two epochs are left.
const std::vector<std::string> kLongRuns = {"train.epochs=3", "train.steps_per_epoch=40"};

std::string write_sweep(const SmallExperiment& experiment, const std::string& text) {
    const auto path = experiment.dir() / "sweep.toml";
    std::ofstream(path) << text;
    return path.string();
}

CommandResult sweep(const SmallExperiment& experiment, const std::string& arguments,
                    const std::vector<std::string>& extra = kOneEpoch) {
    return run_sm4("sweep " + (experiment.dir() / "sweep.toml").string() + experiment.set_arguments(extra) + " " +
                   arguments);
}

std::int64_t count(const std::string& database, const std::string& sql) {
    return std::stoll(ResultsDb(database).query(sql).rows.at(0).at(0));
}

std::int64_t count_runs(const std::string& database) { return count(database, "SELECT count(*) FROM runs"); }
std::int64_t count_metrics(const std::string& database) { return count(database, "SELECT count(*) FROM metrics"); }

// The config hashes a --dry-run lists.
std::set<std::string> listed_hashes(const std::string& out) {
    std::set<std::string> hashes;
    const std::regex hex(R"(\b[0-9a-f]{16}\b)");
    for (auto it = std::sregex_iterator(out.begin(), out.end(), hex); it != std::sregex_iterator(); ++it)
        hashes.insert(it->str());
    return hashes;
}

// The first column of the rows of a --dry-run table: the runs' indices.
std::vector<std::string> listed_indices(const std::string& out) {
    std::vector<std::string> indices;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first;
        words >> first;
        if (!first.empty() && std::isdigit(static_cast<unsigned char>(first[0]))) indices.push_back(first);
    }
    return indices;
}

// Test metrics of every run, by variant and seed (config hashes differ between fixtures: their
// data.root does).
std::map<std::string, std::map<std::string, double>> test_metrics(const std::string& database) {
    ResultsDb db(database);
    std::map<std::string, std::map<std::string, double>> out;
    for (const auto& run : db.list_runs())
        for (const auto& m : db.metrics(run.id, "test", "train"))
            out[run.variant + " seed " + std::to_string(run.seed)][m.task + "/" + m.name] = m.value;
    return out;
}

// Starts `sm4 sweep` in the background; returns its pid.
pid_t start_sweep(const SmallExperiment& experiment, const std::string& arguments) {
    const std::string command = std::string("SM4_NO_PROGRESS=1 exec ") + SM4_BINARY + " sweep " +
                                (experiment.dir() / "sweep.toml").string() + experiment.set_arguments(kLongRuns) +
                                " " + arguments + " >/dev/null 2>&1";
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
    return pid;
}

// Sends SIGINT once `runs` runs each have a checkpoint, and returns the exit status.
int interrupt_when_checkpointed(pid_t pid, const std::string& database, std::size_t runs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) return status;  // ended by itself: too late
        try {
            if (std::filesystem::exists(database) &&
                count(database, "SELECT count(DISTINCT run_id) FROM checkpoints") >= static_cast<std::int64_t>(runs))
                break;
        } catch (const std::exception&) {
            // the schema may be being created right now
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
    return status;
}

}  // namespace

TEST_CASE("cli: sweep runs every run once; a re-run skips them; --dry-run says which are done", "[sweep][cli]") {
    SmallExperiment experiment;
    write_sweep(experiment, kGrid);
    const std::string db = experiment.database();

    const auto plan = sweep(experiment, "--dry-run");
    REQUIRE(plan.exit_code == 0);
    CHECK_THAT(plan.out, Contains("sweep grid: 4 of 4 runs: 4 to start"));
    CHECK(listed_indices(plan.out) == std::vector<std::string>{"0", "1", "2", "3"});
    CHECK_FALSE(std::filesystem::exists(db));  // a dry run writes nothing

    const auto first = sweep(experiment, "");
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.out, Contains("[1/4] smoe seed 0: started") && Contains("[4/4] dense seed 1: done in"));
    CHECK_THAT(first.out, Contains("sweep grid: 4 completed"));
    CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed' AND sweep = 'grid'") == 4);
    CHECK(count(db, "SELECT count(*) FROM runs WHERE variant = 'dense' AND config_toml LIKE '%backbone = \"dense\"%'") == 2);
    // The hashes another process computed (the dry run) are the ones recorded.
    std::set<std::string> recorded;
    for (const auto& run : ResultsDb(db).list_runs()) recorded.insert(run.config_hash);
    CHECK(recorded == listed_hashes(plan.out));

    const std::int64_t metrics = count_metrics(db);
    const auto again = sweep(experiment, "");
    REQUIRE(again.exit_code == 0);
    CHECK_THAT(again.out, Contains("[1/4] smoe seed 0: skipped, completed earlier as run 1"));
    CHECK_THAT(again.out, Contains("sweep grid: 4 skipped"));
    CHECK(count_runs(db) == 4);
    CHECK(count_metrics(db) == metrics);
    CHECK_THAT(sweep(experiment, "--dry-run").out, Contains("done (run 4)") && Contains("4 of 4 runs: 4 done"));
    // --set is part of each run's config: other runs. It may also come before the experiment.
    CHECK_THAT(run_sm4("sweep --set train.lr=0.001 " + (experiment.dir() / "sweep.toml").string() +
                       experiment.set_arguments(kOneEpoch) + " --dry-run").out,
               Contains("4 of 4 runs: 4 to start"));
}

TEST_CASE("cli: a sweep run stopped by Ctrl-C is resumed by the next sweep, and ends as if never stopped",
          "[sweep][cli]") {
    SmallExperiment stopped, reference;
    for (const auto* e : {&stopped, &reference}) write_sweep(*e, "[sweep]\nseeds = [3]\n");
    const int status = interrupt_when_checkpointed(start_sweep(stopped, ""), stopped.database(), 1);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(ResultsDb(stopped.database()).find_run(1)->status == "interrupted");
    CHECK_THAT(sweep(stopped, "--dry-run", kLongRuns).out, Contains("resume run 1"));

    const auto resumed = sweep(stopped, "", kLongRuns);
    INFO(resumed.out << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Contains("[1/1] base seed 3: resuming run 1") && Contains("done in"));
    CHECK(count_runs(stopped.database()) == 1);
    CHECK(ResultsDb(stopped.database()).find_run(1)->status == "completed");

    REQUIRE(sweep(reference, "", kLongRuns).exit_code == 0);
    CHECK(test_metrics(stopped.database()) == test_metrics(reference.database()));
}

TEST_CASE("cli: sweep --jobs 2 writes every row, with the numbers of a sequential sweep", "[sweep][cli]") {
    SmallExperiment parallel, sequential;
    for (const auto* e : {&parallel, &sequential}) write_sweep(*e, kGrid);
    const auto two = sweep(parallel, "--jobs 2");
    INFO(two.out << two.err);
    REQUIRE(two.exit_code == 0);
    CHECK_THAT(two.out, Contains("sweep grid: 4 completed"));
    REQUIRE(sweep(sequential, "").exit_code == 0);

    CHECK(count(parallel.database(), "SELECT count(*) FROM runs WHERE status = 'completed'") == 4);
    CHECK(count_metrics(parallel.database()) == count_metrics(sequential.database()));
    CHECK(count(parallel.database(), "SELECT count(*) FROM checkpoints") ==
          count(sequential.database(), "SELECT count(*) FROM checkpoints"));
    CHECK(test_metrics(parallel.database()) == test_metrics(sequential.database()));
}

TEST_CASE("cli: Ctrl-C on sweep --jobs 2 checkpoints both children; the re-run resumes them", "[sweep][cli]") {
    SmallExperiment experiment;
    write_sweep(experiment, "[sweep]\nseeds = [0, 1]\n");
    const int status = interrupt_when_checkpointed(start_sweep(experiment, "--jobs 2"), experiment.database(), 2);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(count(experiment.database(), "SELECT count(*) FROM runs WHERE status = 'interrupted'") == 2);

    const auto resumed = sweep(experiment, "--jobs 2", kLongRuns);
    INFO(resumed.out << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Contains("base seed 0: resuming run") && Contains("base seed 1: resuming run"));
    CHECK(count(experiment.database(), "SELECT count(*) FROM runs WHERE status = 'completed'") == 2);
    CHECK(count_runs(experiment.database()) == 2);
}

TEST_CASE("cli: sweep --shard splits the runs between machines; runs merge joins their databases", "[sweep][cli]") {
    SmallExperiment experiment;
    write_sweep(experiment, kGrid);
    CHECK(listed_indices(sweep(experiment, "--dry-run --shard 0/2").out) == std::vector<std::string>{"0", "2"});
    CHECK(listed_indices(sweep(experiment, "--dry-run --shard 1/2").out) == std::vector<std::string>{"1", "3"});
    // --shard auto: a Slurm job array's task (here task 11 of an array 10-11) picks its shard.
    const auto slurm = run_command("SLURM_ARRAY_TASK_ID=11 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=10 SM4_NO_PROGRESS=1 " +
                                   std::string(SM4_BINARY) + " sweep " + (experiment.dir() / "sweep.toml").string() +
                                   experiment.set_arguments(kOneEpoch) + " --dry-run --shard auto");
    CHECK(listed_indices(slurm.out) == std::vector<std::string>{"1", "3"});
    const auto no_array = sweep(experiment, "--dry-run --shard auto");
    CHECK(no_array.exit_code == 2);
    CHECK_THAT(no_array.err, Contains("SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set"));

    const std::string a = (experiment.dir() / "a.db").string(), b = (experiment.dir() / "b.db").string();
    REQUIRE(sweep(experiment, "--shard 0/2 --set output.database=" + a).exit_code == 0);
    REQUIRE(sweep(experiment, "--shard 1/2 --set output.database=" + b).exit_code == 0);
    CHECK(count_runs(a) == 2);
    CHECK(count_runs(b) == 2);

    const std::string merged = (experiment.dir() / "all.db").string();
    const auto merge = run_sm4("runs merge " + a + " " + b + " --out " + merged);
    INFO(merge.err);
    REQUIRE(merge.exit_code == 0);
    CHECK_THAT(merge.out, Contains("merged 2 databases into " + merged + ": 4 runs"));
    CHECK(count_runs(merged) == 4);
    CHECK(count_metrics(merged) == count_metrics(a) + count_metrics(b));
    CHECK(count(merged, "SELECT count(*) FROM checkpoints c JOIN runs r ON r.id = c.run_id") ==
          count(a, "SELECT count(*) FROM checkpoints") + count(b, "SELECT count(*) FROM checkpoints"));
    // The merged database knows the whole sweep is done.
    CHECK_THAT(sweep(experiment, "--dry-run --set output.database=" + merged).out, Contains("4 of 4 runs: 4 done"));
    CHECK(run_sm4("runs merge " + a + " --out " + a).exit_code == 2);
}

TEST_CASE("cli: a run that fails does not stop the others; the sweep then exits 1", "[sweep][cli]") {
    SmallExperiment experiment;
    // data.root in the file, not in --set (which would win over the variant that breaks it).
    const std::string file = write_sweep(
        experiment, "[data]\nroot = \"" + (experiment.dir() / "data").string() + "\"\n[sweep]\n"
                    "[[sweep.variant]]\nname = \"ok\"\n[[sweep.variant]]\nname = \"no-data\"\n"
                    "set = { data.root = \"/nonexistent\" }\n[[sweep.variant]]\nname = \"dense\"\n"
                    "set = { model.backbone = \"dense\" }\n");
    std::string arguments;
    for (const auto& o : experiment.overrides(kOneEpoch))
        if (o.rfind("data.root=", 0) != 0) arguments += " --set '" + o + "'";
    const auto r = run_sm4("sweep " + file + arguments + " --jobs 2");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Contains("no-data seed 0: failed after") && Contains(": /nonexistent/wine.h5: dataset of task"));
    CHECK_THAT(r.out, Contains("sweep sweep: 2 completed, 1 failed"));
    CHECK_THAT(r.err, Contains("1 of 3 runs failed (# 1)"));
    CHECK(count(experiment.database(), "SELECT count(*) FROM runs WHERE status = 'completed'") == 2);
}

TEST_CASE("cli: sweep mistakes exit 2 and name the file, line and key", "[sweep][cli]") {
    SmallExperiment experiment;
    const std::string file = write_sweep(experiment, std::string(kGrid) + "[[sweep.variant]]\nname = \"typo\"\n"
                                                                          "set = { \"model.num_expert\" = 2 }\n");
    auto r = sweep(experiment, "--dry-run");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(file + ":11: unknown key 'model.num_expert' (did you mean 'model.num_experts'?)"));
    write_sweep(experiment, kGrid);
    r = sweep(experiment, "--shard 2/2");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--shard '2/2'"));
    CHECK(sweep(experiment, "--jobs 0").exit_code == 2);
    CHECK(run_sm4("sweep no-such-experiment").exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(experiment.database()));
}

TEST_CASE("cli: sweep --dry-run --json of each paper experiment file lists the variants it names", "[sweep][cli][paper]") {
    const std::string root = std::string(SM4_SOURCE_DIR) + "/experiments/";
    const std::map<std::string, std::pair<int, std::vector<std::string>>> files{
        {"paper-ablations", {24, {"sm4-no-smoa", "dense-model-1", "dense-model-2", "equal-capacity", "highmmt"}}},
        {"router-designs", {51, {"multi-router", "r-multi-router", "p-modality-router", "p-task-router",
                                 "single-smoa-task-smoe", "r-multi-router-no-smoa", "dense"}}},
        {"ablation-experts", {15, {"n4", "n8", "n16", "n32"}}},
        {"sm4-layers", {33, {"sm4-2-layers", "p-sm4-4-layers", "sm4-early-2", "sm4-middle-2", "sm4-late-2"}}},
        {"qkv-router", {9, {"qkv-shared-router", "highmmt"}}},
        {"batch-fusion", {9, {"batch-fusion", "highmmt"}}}};
    for (const auto& [name, expected] : files) {
        INFO(name);
        const auto r = run_sm4("sweep " + root + name + ".toml --dry-run --json");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Contains("\"runs_in_file\": " + std::to_string(expected.first) + ","));
        for (const auto& variant : expected.second) CHECK_THAT(r.out, Contains("\"variant\": \"" + variant + "\""));
    }
    // over the medium group: its name says so
    const auto medium = run_sm4("sweep " + root + "router-designs.toml --base " + root + "medium.toml --dry-run --json");
    CHECK_THAT(medium.out, Contains("\"sweep\": \"router-designs@medium\""));
}

TEST_CASE("cli: a sweep that finds its run done by another sweep reports it under its own variant name",
          "[sweep][cli][report]") {
    SmallExperiment experiment;
    write_sweep(experiment, "[sweep]\nname = \"first\"\n[[sweep.variant]]\nname = \"dense\"\n"
                            "set = { \"model.backbone\" = \"dense\" }\n");
    REQUIRE(sweep(experiment, "").exit_code == 0);
    write_sweep(experiment, "[sweep]\nname = \"second\"\n[[sweep.variant]]\nname = \"dense-again\"\n"
                            "set = { \"model.backbone\" = \"dense\" }\n[[sweep.variant]]\nname = \"smoe\"\n");
    const auto second = sweep(experiment, "");
    INFO(second.out << second.err);
    REQUIRE(second.exit_code == 0);
    CHECK_THAT(second.out, Contains("dense-again seed 0: skipped, completed earlier as run 1"));
    CHECK(count(experiment.database(), "SELECT count(*) FROM sweep_reuses WHERE sweep = 'second' AND "
                                       "variant = 'dense-again' AND run_id = 1") == 1);
    const auto report = run_sm4("report --sweep second --format csv --db " + experiment.database());
    INFO(report.err);
    REQUIRE(report.exit_code == 0);
    CHECK_THAT(report.out, Contains("\ndense-again,1,") && Contains("\nsmoe,1,"));
    const auto first = run_sm4("report --sweep first --format csv --db " + experiment.database());
    CHECK_THAT(first.out, Contains("\ndense,1,") && !Contains("dense-again"));
}
