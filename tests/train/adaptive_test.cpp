// The paper's adaptive mechanisms against their definitions: AEA (Algorithm 3) on scripted loss
// sequences, ALP (Algorithm 4) on a hand case, ALP's gradient mechanism against hand-built
// gradients, and real runs whose modality_epochs rows an independent re-implementation of both
// algorithms reproduces, through a resume and a pretraining stage.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <limits>
#include <map>

#include "io/results_db.h"
#include "io/task_dataset.h"
#include "model/layers/paced_linear.h"
#include "model/moe/sparse_feed_forward.h"
#include "train/expert_allocation.h"
#include "train/learning_pace.h"
#include "train/trainer.h"
#include "../support/config_error.h"
#include "../support/h5py.h"
#include "../support/run_command.h"
#include "stopped_run.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;
using Catch::Matchers::Contains;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

// Runs Algorithm 3 over `losses` from k = 1; returns k after each epoch.
std::vector<std::int64_t> k_path(const std::vector<double>& losses, std::int64_t max_k, double min_improvement = 0.0) {
    SlotAllocation s{1, kInf, true, false};
    std::vector<std::int64_t> path;
    for (double l : losses) {
        s = allocation_step(s, l, min_improvement, max_k);
        path.push_back(s.k);
    }
    return path;
}

// The rows of a run by slot, in epoch order.
std::map<std::string, std::vector<ModalityEpochRecord>> rows_by_slot(const std::string& database, std::int64_t run) {
    std::map<std::string, std::vector<ModalityEpochRecord>> out;
    for (const auto& r : ResultsDb(database).modality_epochs(run)) out[r.slot].push_back(r);
    return out;
}

// Algorithms 3 and 4 written again from the paper, over a run's rows: each epoch's k and weight
// must follow from the earlier epochs' losses and entropies.
void check_rows_follow_the_algorithms(const std::vector<ModalityEpochRecord>& rows, std::size_t slots, std::int64_t max_k,
                                      double min_improvement, double start_weight) {
    REQUIRE(rows.size() % slots == 0);
    const std::size_t epochs = rows.size() / slots;
    std::vector<std::int64_t> k(slots, 1);
    std::vector<double> best(slots, kInf), w(slots, start_weight);
    std::vector<bool> improved(slots, true), stopped(slots, false);
    for (std::size_t e = 0; e < epochs; ++e) {
        double z = 0.0;
        for (std::size_t j = 0; j < slots; ++j) {
            const auto& r = rows[e * slots + j];
            INFO("epoch " << e + 1 << ", slot " << r.slot);
            CHECK(r.epoch == static_cast<std::int64_t>(e + 1));
            CHECK(r.top_k == k[j]);
            CHECK(r.pace_weight == Approx(w[j]).epsilon(1e-12));
            z += std::exp(r.routing_entropy);
        }
        for (std::size_t j = 0; j < slots; ++j) {
            const auto& r = rows[e * slots + j];
            w[j] = 1.0 - std::exp(r.routing_entropy) / z;  // Algorithm 4
            if (stopped[j]) continue;                       // Algorithm 3
            if (r.val_loss < best[j] * (1.0 - min_improvement) || best[j] == kInf) {
                best[j] = r.val_loss;
                improved[j] = true;
            } else if (improved[j] && k[j] < max_k) {
                ++k[j];
                improved[j] = false;
            } else {
                if (!improved[j]) --k[j];
                stopped[j] = true;
            }
            CHECK(r.aea_frozen == stopped[j]);
        }
    }
}

const std::vector<std::string> kAdaptive = {"model.backbone=sm4", "aea.enabled=true", "pace.enabled=true",
                                            "aea.min_improvement=0.3", "train.epochs=5"};

}  // namespace

TEST_CASE("aea: Algorithm 3 grows k when the loss stops falling, steps back and freezes when that did not help",
          "[train][aea]") {
    // Falls, stalls (k 2), falls again, stalls (k 3), stalls again: back to 2, frozen.
    CHECK(k_path({1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.1, 0.2}, 8) == std::vector<std::int64_t>{1, 1, 2, 2, 3, 2, 2, 2});
    // A loss equal to the best is not an improvement.
    CHECK(k_path({1.0, 1.0}, 8) == std::vector<std::int64_t>{1, 2});
    // Two stalls in a row right after the growth: back to 1.
    CHECK(k_path({1.0, 1.1, 1.2, 0.5}, 8) == std::vector<std::int64_t>{1, 2, 1, 1});
    // At the cap a stall freezes the slot where it is.
    CHECK(k_path({1.0, 1.1, 0.9, 0.95, 0.1, 2.0}, 2) == std::vector<std::int64_t>{1, 2, 2, 2, 2, 2});
    SlotAllocation capped{2, 0.9, true, false};
    capped = allocation_step(capped, 0.95, 0.0, 2);
    CHECK((capped.k == 2 && capped.frozen));
    // aea.min_improvement: 0.95 is not 10% below 1.0.
    CHECK(k_path({1.0, 0.95}, 8, 0.1) == std::vector<std::int64_t>{1, 2});
    CHECK(k_path({1.0, 0.85}, 8, 0.1) == std::vector<std::int64_t>{1, 1});
    // A NaN loss is never read.
    SlotAllocation s{1, 0.5, true, false};
    CHECK(allocation_step(s, std::nan(""), 0.0, 8).best == 0.5);
}

TEST_CASE("aea: the module keeps each slot's state, and a frozen slot never moves again", "[train][aea]") {
    AeaConfig c;
    c.enabled = true;
    ExpertAllocation a(std::vector<std::int64_t>{1, 3}, c, 4);
    a->after_epoch({1.0, 1.0});
    a->after_epoch({1.0, 0.5});  // slot 0 stalls: 2; slot 1 falls
    CHECK(a->top_k() == std::vector<std::int64_t>{2, 3});
    a->after_epoch({1.0, 0.6});  // slot 0: back to 1 and frozen; slot 1: 4 (the cap)
    CHECK(a->frozen() == std::vector<bool>{true, false});
    a->after_epoch({0.1, 0.3});  // slot 1 falls at k 4; slot 0 never moves again
    a->after_epoch({0.1, 0.35});  // slot 1 at the cap stalls: frozen at 4
    CHECK(a->top_k() == std::vector<std::int64_t>{1, 4});
    CHECK(a->frozen() == std::vector<bool>{true, true});
    CHECK(a->best[0].item<double>() == 1.0);
    CHECK(a->best[1].item<double>() == 0.3);
}

TEST_CASE("alp: the weights are 1 - softmax(H) over the slots, on a hand case", "[train][alp]") {
    // e^0.5, e^1, e^1.5 = 1.64872, 2.71828, 4.48169 (sum 8.84869).
    const auto w = pace_weights({0.5, 1.0, std::nan(""), 1.5}, false);
    CHECK(w[0] == Approx(1.0 - 1.64872 / 8.84869).epsilon(1e-5));
    CHECK(w[1] == Approx(1.0 - 2.71828 / 8.84869).epsilon(1e-5));
    CHECK(std::isnan(w[2]));  // a slot without routed tokens takes no part
    CHECK(w[3] == Approx(1.0 - 4.48169 / 8.84869).epsilon(1e-5));
    CHECK(w[0] > w[1]);  // settled routing (low entropy) learns faster
    const auto normalized = pace_weights({0.5, 1.0, 1.5}, true);
    CHECK((normalized[0] + normalized[1] + normalized[2]) / 3 == Approx(1.0));
    CHECK(normalized[0] / normalized[2] == Approx(w[0] / w[3]));

    PaceConfig c;
    c.enabled = true;
    c.start_weight = 0.5;
    LearningPace pace(2, c);
    CHECK(pace->weights() == std::vector<double>{0.5, 0.5});
    pace->after_epoch({0.2, std::nan("")});  // slot 1 untrained this epoch: keeps its weight
    CHECK(pace->weights() == std::vector<double>{0.0, 0.5});
}

TEST_CASE("alp: with weights (1, 0) one modality's tokens make a shared weight's whole gradient, the other's none",
          "[train][alp]") {
    at::manual_seed(3);
    const at::Tensor weight = at::randn({5, 3}).requires_grad_(true), bias = at::randn({5}).requires_grad_(true);
    const at::Tensor x = at::randn({4, 3}).requires_grad_(true);  // rows 0-1: modality a, 2-3: modality b
    const at::Tensor dy = at::randn({4, 5});
    const auto paced = torch::autograd::grad({(paced_linear(x, weight, bias, at::tensor({1.f, 1.f, 0.f, 0.f})) * dy).sum()},
                                             {weight, bias, x});
    // By hand: dW = dy_a^T x_a, db = sum of dy_a, dx = dy W (for every row, unscaled).
    const at::Tensor xa = x.detach().narrow(0, 0, 2), dya = dy.narrow(0, 0, 2);
    CHECK(at::allclose(paced[0], at::mm(dya.t(), xa)));
    CHECK(at::allclose(paced[1], dya.sum(0)));
    CHECK(at::allclose(paced[2], at::mm(dy, weight.detach())));
    // Weights (0.25, 2): the gradient is 0.25 times a's share plus 2 times b's.
    const auto mixed = torch::autograd::grad({(paced_linear(x, weight, bias, at::tensor({.25f, .25f, 2.f, 2.f})) * dy).sum()},
                                             {weight});
    const at::Tensor xb = x.detach().narrow(0, 2, 2), dyb = dy.narrow(0, 2, 2);
    CHECK(at::allclose(mixed[0], 0.25 * at::mm(dya.t(), xa) + 2.0 * at::mm(dyb.t(), xb)));
}

TEST_CASE("alp: inside the dispatch kernels, weights (1, 0) give the experts' and router's gradients of modality a alone",
          "[train][alp]") {
    at::manual_seed(11);
    RouterSettings r;
    r.d_model = 8;
    r.experts = 4;
    r.noisy = false;
    SparseFeedForward moe(SparseFeedForwardSettings{r, 16, 0.0}, 2);
    {
        torch::NoGradGuard no_grad;
        moe->router->weight.normal_(0.0, 1.0);
    }
    const auto routing = [](std::int64_t a, std::int64_t b, bool paced) {
        TokenRouting t;
        t.slot = at::cat({at::zeros({a}, at::kLong), at::ones({b}, at::kLong)});
        t.k = at::full({a + b}, 2, at::kLong);
        t.k_max = 2;
        t.slots = b > 0 ? std::vector<std::int64_t>{0, 1} : std::vector<std::int64_t>{0};
        t.local_slot = t.slot;
        if (paced) t.pace = at::cat({at::ones({a}), at::zeros({b})});
        return t;
    };
    const at::Tensor x = at::randn({12, 8}).requires_grad_(true), probe = at::randn({12, 8});
    const std::vector<at::Tensor> shared = {moe->experts->w1, moe->experts->b1, moe->experts->w2, moe->experts->b2,
                                            moe->router->weight};
    std::vector<at::Tensor> wrt = shared;
    wrt.push_back(x);
    const auto both = torch::autograd::grad({(moe->forward(x, routing(6, 6, true)) * probe).sum()}, wrt);
    const at::Tensor xa = x.detach().narrow(0, 0, 6).requires_grad_(true);
    const auto alone = torch::autograd::grad({(moe->forward(xa, routing(6, 0, false)) * probe.narrow(0, 0, 6)).sum()}, shared);
    for (std::size_t i = 0; i < shared.size(); ++i) {
        INFO("parameter " << i);
        CHECK(at::allclose(both[i], alone[i], 1e-5, 1e-6));
    }
    // What flows back to the layer's input is not scaled: modality b's tokens get their full gradient.
    const auto unpaced = torch::autograd::grad({(moe->forward(x, routing(6, 6, false)) * probe).sum()}, {x});
    CHECK(at::allclose(both.back(), unpaced[0], 1e-5, 1e-6));
}

TEST_CASE("aea + alp: a run's modality_epochs rows follow Algorithms 3 and 4, and some k moves", "[train][aea][alp]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request(kAdaptive));
    CHECK(result.test[1].selection >= 0.9);
    const auto rows = ResultsDb(experiment.database()).modality_epochs(result.run_id);
    REQUIRE(rows.size() == 10);  // 5 epochs x 2 slots
    check_rows_follow_the_algorithms(rows, 2, 4, 0.3, 1.0);
    bool moved = false, differ = false;
    for (std::size_t i = 2; i < rows.size(); i += 2) differ |= rows[i].pace_weight != rows[i + 1].pace_weight;
    for (const auto& r : rows) {
        moved |= r.top_k != 1;
        CHECK(std::isfinite(r.val_loss));
        CHECK(std::isfinite(r.train_loss));
        CHECK(r.routing_entropy > 0);
        CHECK(r.routing_entropy <= std::log(4.0) + 1e-9);  // nats, at most log(experts)
    }
    CHECK(moved);
    CHECK(differ);
    // The trace keeps the weights each step trained with, and per-layer, per-slot entropies.
    CHECK(sm4::test::h5py(result.run_dir / "trace.h5",
                          "f['pace/weight'].shape, f['routing/entropy'].shape, bool((f['pace/weight'][0] == 1).all())") ==
          "(25, 2) (25, 4, 2) True\n");
    // sm4 runs show prints each slot's k path and final weight.
    const auto shown = sm4::test::run_sm4("runs show " + std::to_string(result.run_id) + " --db " + experiment.database());
    REQUIRE(shown.exit_code == 0);
    CHECK_THAT(shown.out, Contains("wine/table"));
    CHECK_THAT(shown.out, Contains("k (epochs)"));
}

TEST_CASE("aea + alp: a run killed in the middle of its AEA path resumes to the same path", "[train][aea][resume]") {
    SmallExperiment stopped, reference;
    std::vector<std::string> set = kAdaptive;
    set.push_back("train.steps_per_epoch=60");
    const int status = sm4::test::stop_after_checkpoints(sm4::test::start_training(stopped, set), stopped.database(), 2, SIGKILL);
    REQUIRE(WIFSIGNALED(status));
    const auto done = sm4::test::run_sm4("train --resume 1 --db " + stopped.database());
    INFO(done.err);
    REQUIRE(done.exit_code == 0);
    const auto whole = sm4::test::run_sm4("train" + reference.set_arguments(set));
    REQUIRE(whole.exit_code == 0);
    const auto a = ResultsDb(stopped.database()).modality_epochs(1), b = ResultsDb(reference.database()).modality_epochs(1);
    REQUIRE(a.size() == 10);
    REQUIRE(b.size() == 10);
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("row " << i);
        CHECK(a[i].slot == b[i].slot);
        CHECK(a[i].top_k == b[i].top_k);
        CHECK(a[i].val_loss == b[i].val_loss);
        CHECK(a[i].pace_weight == b[i].pace_weight);
        CHECK(a[i].aea_frozen == b[i].aea_frozen);
    }
}

TEST_CASE("pretraining: train.pretrain_tasks train alone for their epochs, then every task", "[train][pretrain]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request({"model.backbone=sm4", "train.pretrain_tasks=wine",
                                                        "train.pretrain_epochs=2", "train.epochs=1",
                                                        "train.modality_records=true"}));
    // 3 epochs of 25 steps; in the first 50 only wine's loss exists.
    CHECK(sm4::test::h5py(result.run_dir / "trace.h5",
                          "(lambda b, w: (b.shape, bool(np.isnan(b[:10]).all()), bool(np.isfinite(b[10:]).all()), "
                          "bool(np.isfinite(w).all())))(f['loss/breast-cancer'][()], f['loss/wine'][()])") ==
          "((15,), True, True, True)\n");
    const auto rows = rows_by_slot(experiment.database(), result.run_id);
    REQUIRE(rows.at("breast-cancer/table").size() == 3);
    CHECK(std::isnan(rows.at("breast-cancer/table")[0].val_loss));  // not trained, not measured
    CHECK(std::isfinite(rows.at("breast-cancer/table")[2].val_loss));
    CHECK(std::isfinite(rows.at("wine/table")[0].val_loss));
    // The best epoch is never one of the pretraining's.
    CHECK(ResultsDb(experiment.database()).checkpoints(result.run_id).size() == 3);
    CHECK(result.best_epoch == 3);
}

TEST_CASE("aea: a validation loss that is not finite stops the run as failed, naming the slot", "[train][aea]") {
    SmallExperiment experiment;
    // Wine as a regression of its class index, its validation targets enormous: the validation
    // loss overflows to inf while training stays finite.
    sm4::test::rewrite_as_regression(experiment.dir() / "data" / "wine.h5", [](Split split, std::int64_t label) {
        return split == Split::Val ? 3.0e38f : static_cast<float>(label);
    });
    try {
        train_model(experiment.request({"model.backbone=sm4", "aea.enabled=true"}));
        FAIL("expected a TrainingError");
    } catch (const TrainingError& e) {
        CHECK_THAT(e.what(), Contains("modality slot wine/table is not finite after epoch 1"));
    }
    ResultsDb db(experiment.database());
    CHECK(db.list_runs().at(0).status == "failed");
    CHECK(db.modality_epochs(1).empty());
}

TEST_CASE("aea, alp, pretraining: bad settings are config errors naming the key", "[train][aea][alp][config]") {
    SmallExperiment experiment;
    const auto error = [&](const std::vector<std::string>& set) { return sm4::test::config_error(experiment.overrides(set)); };
    CHECK_THAT(error({"pace.start_weight=0"}), Contains("pace.start_weight"));
    CHECK_THAT(error({"pace.start_weight=1.5"}), Contains("pace.start_weight"));
    CHECK_THAT(error({"train.pretrain_tasks=push", "train.pretrain_epochs=3"}),
               Contains("train.pretrain_tasks: \"push\" is not among data.tasks"));
    CHECK_THAT(error({"model.backbone=sm4", "aea.enabled=true", "aea.max_k=5"}),
               Contains("aea.max_k (5) is above model.num_experts (4)"));
    CHECK_THAT(error({"model.backbone=dense", "aea.enabled=true"}), Contains("aea.enabled"));
    // A dataset made without a validation split.
    Config defaults = load_config({}, {"data.val_fraction=0"}).values;
    preprocess_dataset("wine", "", experiment.dir() / "data" / "wine.h5", defaults);
    try {
        train_model(experiment.request({"model.backbone=sm4", "aea.enabled=true"}));
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), Contains("aea.enabled: "));
        CHECK_THAT(e.what(), Contains("wine.h5 holds no validation split"));
    }
}
