// HighMMT's training protocol as config values (its step loop, Adam, its selection rules), the
// pooled selection rule, model.match_flops, and the highmmt backbone training end to end.
#include <catch.hpp>

#include <ATen/ATen.h>

#include "core/config_loader.h"
#include "io/results_db.h"
#include "io/stored_config.h"
#include "model/flops/flop_count.h"
#include "train/batch_sampler.h"
#include "train/evaluate.h"
#include "train/task_data.h"
#include "train/trainer.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {
std::vector<std::vector<std::size_t>> steps_of(const BatchSampler& sampler, std::int64_t steps) {
    std::vector<std::vector<std::size_t>> out;
    for (std::int64_t s = 0; s < steps; ++s) out.push_back(sampler.tasks_for_step(s));
    return out;
}
}  // namespace

TEST_CASE("sampler: highmmt takes batch s of every task that has one, the longest task's steps first", "[train][highmmt]") {
    using Steps = std::vector<std::vector<std::size_t>>;
    // Task 0: 10 examples in batches of 2 (5 batches); task 1: 7 in batches of 3 (2 batches).
    const BatchSampler sampler({10, 7}, {2, 3}, 0, Sampling::HighMmt);
    CHECK(sampler.default_steps_per_epoch() == 5);
    CHECK(steps_of(sampler, 10) == Steps{{0}, {0}, {0}, {0, 1}, {0, 1}, {0}, {0}, {0}, {0, 1}, {0, 1}});
    BatchSampler copy({10, 7}, {2, 3}, 0, Sampling::HighMmt);
    CHECK(copy.batch(1, 0).size(0) == 3);
    CHECK(copy.batch(0, 0).size(0) == 2);
    // train.steps_per_epoch 3: the last 3 steps of the reversed list, so task 1 is still there.
    const BatchSampler short_epoch({10, 7}, {2, 3}, 0, Sampling::HighMmt, 3);
    CHECK(steps_of(short_epoch, 3) == Steps{{0}, {0, 1}, {0, 1}});
}

TEST_CASE("selection: pooled weighs tasks by validation examples; weighted and sum as HighMMT scores", "[train][select]") {
    // Epoch A: big task 0.8395, tiny task 0.8889; epoch B: 0.8745 and 0.8333 (the minibench case).
    auto epoch = [](double big, double tiny) {
        return std::vector<TaskEvaluation>{{"fashion-mnist", TaskType::Classification, 0, {}, big, 6000},
                                           {"wine", TaskType::Classification, 0, {}, tiny, 18}};
    };
    TrainConfig train;
    CHECK(train.select == Select::Pooled);
    CHECK(selection_score(epoch(0.8745, 0.8333), train) > selection_score(epoch(0.8395, 0.8889), train));
    train.select = Select::Sum;
    CHECK(selection_score(epoch(0.8745, 0.8333), train) < selection_score(epoch(0.8395, 0.8889), train));
    // HighMMT's small group: V&T accuracy - 100 x PUSH MSE; medium: PUSH RMSE scaled.
    const std::vector<TaskEvaluation> small{{"push", TaskType::Regression, 0, {}, -0.04, 100},
                                            {"vt", TaskType::Binary, 0, {}, 0.9, 100}};
    train.select = Select::Weighted;
    train.task_weights = {100.0, 1.0};
    CHECK_THAT(selection_score(small, train), WithinAbs(0.9 - 4.0, 1e-12));
    train.select_weights = {0.5, 1.0};
    train.select_regression = RegressionScore::Rmse;
    CHECK_THAT(selection_score(small, train), WithinAbs(0.9 - 0.5 * 0.2, 1e-12));
}

TEST_CASE("train: the highmmt backbone learns with HighMMT's protocol; dense-matched records its size",
          "[train][highmmt]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request(
        {"model.backbone=highmmt", "model.latents=8", "model.latent_dim=64", "model.cross_head_dim=64",
         "model.latent_heads=2", "model.latent_head_dim=64", "model.ff_mult=4", "model.pair_heads=2",
         "model.cross_depth=1", "train.optimizer=adam", "train.schedule=constant", "train.warmup_fraction=0",
         "train.grad_clip=0", "train.sampling=highmmt", "train.select=weighted", "train.lr=1e-3",
         "train.task_batch_sizes=[16, 32]"}));
    CHECK(result.test[0].selection >= 0.85);  // wine
    CHECK(result.test[1].selection >= 0.90);  // breast-cancer
    const auto matched = train_model(experiment.request({"model.backbone=dense", "model.match_flops=sm4", "train.epochs=1"}));
    ResultsDb db(experiment.database());
    const ResolvedConfig stored = stored_config(*db.find_run(matched.run_id));
    CHECK(stored.values.model.match_flops == MatchFlops::None);
    CHECK(stored.values.model.ffn_hidden != 64);
    CHECK(stored.values.model.ffn_hidden != 64);
}

TEST_CASE("train: dense-matched is the dense network within 5% of SM4's FLOPs, at SM4's k per modality",
          "[train][flops]") {
    SmallExperiment experiment;
    const std::vector<std::string> common = {"train.epochs=1", "model.modality_top_k=[2, 1]"};
    auto with = [&](std::vector<std::string> extra) {
        extra.insert(extra.begin(), common.begin(), common.end());
        return extra;
    };
    const auto sm4_run = train_model(experiment.request(with({"model.backbone=sm4"})));
    const auto matched = train_model(experiment.request(with({"model.backbone=dense", "model.match_flops=sm4"})));
    ResultsDb db(experiment.database());
    const Config sm4_config = stored_config(*db.find_run(sm4_run.run_id)).values;
    const Config dense_config = stored_config(*db.find_run(matched.run_id)).values;
    std::vector<TaskSpec> specs;
    for (const auto& t : load_tasks(sm4_config)) specs.push_back(t.spec);
    const double sm4_flops = analytic_flops(sm4_config.model, specs, 1, "sm4").back().flops;
    const double dense_flops = analytic_flops(dense_config.model, specs, 1, "dense").back().flops;
    CHECK_THAT(dense_flops, WithinRel(sm4_flops, 0.05));
    CHECK(dense_config.model.backbone == Backbone::Dense);
    CHECK(dense_config.model.ffn_hidden != sm4_config.model.ffn_hidden);
}
