// Stopping a run (SIGKILL mid-epoch, or Ctrl-C) and resuming it ends where an uninterrupted run
// ends, number for number.
#include <catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "io/results_db.h"
#include "../support/run_command.h"
#include "stopped_run.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;
using sm4::test::start_training;
using sm4::test::stop_after_checkpoints;
using Catch::Matchers::Contains;

namespace {

// Every train-split metric the run logged, by step, task and name.
std::map<std::string, double> train_metrics(const std::string& database, std::int64_t run) {
    std::map<std::string, double> out;
    for (const auto& m : ResultsDb(database).metrics(run, "train", "train"))
        out[std::to_string(m.step) + "/" + m.task + "/" + m.name] = m.value;
    return out;
}

std::map<std::string, double> test_metrics(const std::string& database, std::int64_t run) {
    std::map<std::string, double> out;
    for (const auto& m : ResultsDb(database).metrics(run, "test", "train")) out[m.task + "/" + m.name] = m.value;
    return out;
}

const std::vector<std::string> kLongerEpochs = {"train.epochs=3", "train.steps_per_epoch=120"};

}  // namespace

TEST_CASE("resume: a run killed with SIGKILL mid-epoch resumes and ends as if never stopped", "[train][resume]") {
    SmallExperiment stopped, reference;
    const int status = stop_after_checkpoints(start_training(stopped, kLongerEpochs), stopped.database(), 1, SIGKILL);
    REQUIRE(WIFSIGNALED(status));
    {
        const auto run = ResultsDb(stopped.database()).find_run(1);
        REQUIRE(run);
        CHECK(run->status == "running");  // nobody could mark it
    }
    const auto refused = sm4::test::run_sm4("train --resume 1 --db " + stopped.database() + " --set train.epochs=9");
    CHECK(refused.exit_code == 2);  // a resumed run keeps its stored config
    CHECK_THAT(refused.err, Contains("--resume continues a run with its stored config"));
    const auto done = sm4::test::run_sm4("train --resume 1 --db " + stopped.database());
    INFO(done.err);
    REQUIRE(done.exit_code == 0);
    CHECK(ResultsDb(stopped.database()).find_run(1)->status == "completed");

    const auto whole = sm4::test::run_sm4("train" + reference.set_arguments(kLongerEpochs));
    REQUIRE(whole.exit_code == 0);
    CHECK(test_metrics(stopped.database(), 1) == test_metrics(reference.database(), 1));
}

TEST_CASE("resume: Ctrl-C checkpoints, exits 130, and the run resumes to the same end", "[train][resume]") {
    SmallExperiment stopped, reference;
    const int status = stop_after_checkpoints(start_training(stopped, kLongerEpochs), stopped.database(), 1, SIGINT);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    const auto run = ResultsDb(stopped.database()).find_run(1);
    CHECK(run->status == "interrupted");
    // The hint names the database (not the default one here), so it works verbatim.
    CHECK_THAT(run->message, Contains("resume with `sm4 train --resume 1 --db " + stopped.database() + "`"));
    // The Ctrl-C checkpoint is recorded, at the step where it stopped (mid epoch).
    const auto checkpoints = ResultsDb(stopped.database()).checkpoints(1);
    REQUIRE(checkpoints.size() >= 2);
    CHECK_THAT(run->message, Contains("interrupted at step " + std::to_string(checkpoints.back().step) + " "));
    CHECK(checkpoints.back().is_best == false);
    CHECK(checkpoints.back().val_score == checkpoints[checkpoints.size() - 2].val_score);
    const auto hint_begin = run->message.find("`sm4 ") + 5, hint_end = run->message.find('`', hint_begin);
    const auto done = sm4::test::run_sm4(run->message.substr(hint_begin, hint_end - hint_begin));
    INFO(done.err);
    REQUIRE(done.exit_code == 0);
    const auto whole = sm4::test::run_sm4("train" + reference.set_arguments(kLongerEpochs));
    REQUIRE(whole.exit_code == 0);
    CHECK(test_metrics(stopped.database(), 1) == test_metrics(reference.database(), 1));
    // The window open at Ctrl-C closes with the same means as in a run never stopped.
    CHECK(train_metrics(stopped.database(), 1) == train_metrics(reference.database(), 1));
}

TEST_CASE("run folders: two databases sharing output.runs_dir keep their runs apart", "[train][run_folder]") {
    SmallExperiment experiment;
    const std::string other_db = (experiment.dir() / "shard1.db").string();
    const auto first = train_model(experiment.request({"train.epochs=1", "train.seed=1"}));
    const auto second =
        train_model(experiment.request({"train.epochs=1", "train.seed=2", "output.database=" + other_db}));
    REQUIRE(first.run_id == 1);
    REQUIRE(second.run_id == 1);  // each database numbers its runs from 1
    CHECK(first.run_dir == experiment.dir() / "runs" / "1");
    CHECK(second.run_dir == experiment.dir() / "runs" / "1-2");
    CHECK(ResultsDb(other_db).find_run(1)->folder == second.run_dir.string());
    // `sm4 eval` of run 1 of the second database evaluates its own best.pt, not the first's.
    const auto evaluated = sm4::test::run_sm4("eval --run 1 --json --db " + other_db);
    INFO(evaluated.err);
    REQUIRE(evaluated.exit_code == 0);
    CHECK_THAT(evaluated.out, Contains(second.run_dir.string()));
    // A resume that finds another database's run in the folder is refused, naming both.
    std::ofstream(second.run_dir / "owner") << "run 1 of /elsewhere/sm4.db\n";
    ResultsDb(other_db).set_status(1, "interrupted");
    const auto refused = sm4::test::run_sm4("train --resume 1 --db " + other_db);
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, Contains("the folder belongs to run 1 of /elsewhere/sm4.db, not to run 1 of " + other_db));
}
