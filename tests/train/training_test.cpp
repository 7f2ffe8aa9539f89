// Training end to end on a small experiment: learning, the database, the trace, evaluation,
// determinism, divergence.
#include <catch.hpp>

#include <cmath>
#include <map>

#include "core/errors.h"
#include "core/events.h"
#include "io/results_db.h"
#include "app/eval_job.h"
#include "train/trainer.h"
#include "../support/h5py.h"
#include "../support/run_command.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;
using sm4::test::h5py;
using Catch::Matchers::Contains;

namespace {

using MetricMap = std::map<std::string, double>;  // "split/task/name" -> value

MetricMap metric_map(const ResultsDb& db, std::int64_t run, const std::string& split, const std::string& source) {
    MetricMap out;
    for (const auto& m : db.metrics(run, split, source)) out[m.split + "/" + m.task + "/" + m.name] = m.value;
    return out;
}


}  // namespace

TEST_CASE("train: a small multitask run learns and lands in the database and the trace", "[train]") {
    SmallExperiment experiment;
    TrainRequest request = experiment.request();
    request.experiment = "small.toml";
    const TrainResult result = train_model(request);

    REQUIRE(result.test.size() == 2);
    CHECK(result.test[0].task == "wine");
    CHECK(result.test[0].selection >= 0.85);   // test accuracy
    CHECK(result.test[1].selection >= 0.90);

    ResultsDb db(experiment.database());
    const auto run = db.find_run(result.run_id);
    REQUIRE(run);
    CHECK(run->status == "completed");
    CHECK(run->name == "small");
    CHECK_THAT(run->config_toml, Contains("tasks = [\"wine\", \"breast-cancer\"]"));
    CHECK_THAT(run->build_info, Contains("torch"));
    CHECK(db.checkpoints(result.run_id).size() == 3);
    const MetricMap test = metric_map(db, result.run_id, "test", "train");
    CHECK(test.at("test/wine/accuracy") == result.test[0].selection);
    CHECK(test.count("test/breast-cancer/auroc") == 1);
    CHECK(metric_map(db, result.run_id, "val", "").count("val/all/score") == 1);

    const auto trace = result.run_dir / "trace.h5";
    // 75 steps logged every 5 steps: 15 rows; one SM4 layer of 4 routed groups (query, key, value,
    // feed-forward), 2 modality slots, 4 experts.
    CHECK(h5py(trace, "f['routing/entropy'].shape, f['routing/load'].shape, f['loss/wine'].shape, f['lr'].shape") ==
          "(15, 4, 2) (15, 4, 4) (15,) (15,)\n");
    CHECK(h5py(trace, "list(f.attrs['layers']), list(f.attrs['modalities'])") ==
          "['layer0.attention.query', 'layer0.attention.key', 'layer0.attention.value', 'layer0.ffn'] "
          "['wine/table', 'breast-cancer/table']\n");
    CHECK(h5py(trace, "bool(np.allclose(f['routing/load'][()].sum(-1), 1)), "
                      "bool(((f['routing/entropy'][()] > 0) & (f['routing/entropy'][()] <= 1)).all())") ==
          "True True\n");
}

TEST_CASE("eval: scoring a run's best checkpoint reproduces its stored test metrics exactly", "[train]") {
    SmallExperiment experiment;
    const TrainResult result = train_model(experiment.request({"train.epochs=2"}));
    EvalRequest request;
    request.run = result.run_id;
    request.database = experiment.database();
    const EvalResult again = evaluate_checkpoint(request);
    ResultsDb db(experiment.database());
    const MetricMap stored = metric_map(db, result.run_id, "test", "train");
    const MetricMap evaluated = metric_map(db, result.run_id, "test", "eval");
    CHECK(stored.size() == evaluated.size());
    CHECK(stored == evaluated);
    CHECK_THAT(evaluation_json(again).dump(), Contains("\"wine\": {\"type\": \"classification\""));
}

TEST_CASE("train: the same seed gives identical metrics; another seed does not", "[train]") {
    SmallExperiment experiment;
    const auto first = train_model(experiment.request({"train.epochs=2"}));
    const auto second = train_model(experiment.request({"train.epochs=2"}));
    const auto third = train_model(experiment.request({"train.epochs=2", "train.seed=5"}));
    ResultsDb db(experiment.database());
    const MetricMap a = metric_map(db, first.run_id, "", "train");
    CHECK(a.size() > 10);
    CHECK(a == metric_map(db, second.run_id, "", "train"));
    CHECK(a != metric_map(db, third.run_id, "", "train"));
}

TEST_CASE("train: the dense backbone trains and its trace has no routing series", "[train]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request({"model.backbone=dense", "train.epochs=2"}));
    CHECK(result.test[1].selection >= 0.90);
    CHECK(h5py(result.run_dir / "trace.h5", "'routing' in f, f['loss/total'].shape") == "False (10,)\n");
}

TEST_CASE("train: the sm4 backbone routes every modality through one pool per expert group, k per modality",
          "[train][sm4]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request({"model.backbone=sm4", "train.epochs=2", "model.modality_top_k=[1, 2]"}));
    CHECK(result.test[1].selection >= 0.90);
    const auto trace = result.run_dir / "trace.h5";
    CHECK(h5py(trace, "f['routing/load'].shape, list(f.attrs['experts'])") ==
          "(10, 4, 4) ['expert0', 'expert1', 'expert2', 'expert3']\n");
    // The balance loss spreads both modalities' tokens over all four experts of every group.
    CHECK(h5py(trace, "bool((f['routing/load'][()].sum(0) > 0).all())") == "True\n");
}

TEST_CASE("train: a loss that becomes NaN marks the run failed and names the task", "[train]") {
    SmallExperiment experiment;
    // Finite but enormous regression targets: their squared error overflows to inf.
    sm4::test::rewrite_as_regression(experiment.dir() / "data" / "wine.h5", [](Split, std::int64_t) { return 3.0e38f; });
    try {
        train_model(experiment.request());
        FAIL("expected a TrainingError");
    } catch (const TrainingError& e) {
        CHECK_THAT(e.what(), Contains("the loss of task wine became"));
        CHECK_THAT(e.what(), Contains("none (no epoch finished)"));
    }
    ResultsDb db(experiment.database());
    const auto runs = db.list_runs();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].status == "failed");
    CHECK_THAT(runs[0].message, Contains("wine"));
}

namespace {

// What a training run told its observer.
struct RecordingObserver : Observer {
    std::vector<RunStartedEvent> starts;
    std::vector<StepEvent> steps;
    std::vector<EpochEvent> epochs;
    void run_started(const RunStartedEvent& e) override { starts.push_back(e); }
    void step(const StepEvent& e) override { steps.push_back(e); }
    void epoch(const EpochEvent& e) override { epochs.push_back(e); }
};

}  // namespace

TEST_CASE("train: the run reports its start, every step and every epoch as events", "[train]") {
    SmallExperiment experiment;
    RecordingObserver seen;
    TrainResult result;
    {
        const ObserverScope scope(seen);
        result = train_model(experiment.request({"train.epochs=2", "train.steps_per_epoch=10", "model.modality_top_k=[2]"}));
    }
    REQUIRE(seen.starts.size() == 1);
    CHECK(seen.starts[0].run_id == result.run_id);
    CHECK(seen.starts[0].run_dir == result.run_dir);
    CHECK(seen.starts[0].database == experiment.database());
    CHECK(seen.starts[0].total_steps == 20);
    // Every key set by --set, once: the fixture's (two of them set again here) and model.modality_top_k.
    CHECK(seen.starts[0].overrides.size() == experiment.overrides().size() + 1);
    REQUIRE(seen.steps.size() == 20);
    for (std::size_t i = 0; i < seen.steps.size(); ++i) {
        CHECK(seen.steps[i].step == static_cast<std::int64_t>(i) + 1);
        CHECK(seen.steps[i].epoch == (i < 10 ? 1 : 2));
        CHECK(seen.steps[i].task_losses.size() == 2);
        CHECK(std::isfinite(seen.steps[i].loss));
    }
    REQUIRE(seen.epochs.size() == 2);
    CHECK(seen.epochs[0].best);
    CHECK(seen.epochs[1].best == (result.best_epoch == 2));
    CHECK(seen.epochs[1].task_scores.size() == 2);
}
