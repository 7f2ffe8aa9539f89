// Multitask loss weightings against hand-computed values.
#include <catch.hpp>

#include <ATen/ATen.h>

#include <cmath>

#include "train/loss_weighting.h"
#include "train/trainer.h"
#include "../support/h5py.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;

TEST_CASE("loss weighting: uncertainty weighting is sum exp(-s) L + s", "[train][weighting]") {
    const at::Tensor s = at::tensor({0.0, std::log(2.0)}, at::kDouble);
    const at::Tensor total = uncertainty_weighted({at::tensor(1.0, at::kDouble), at::tensor(3.0, at::kDouble)}, s);
    CHECK(total.item<double>() == Approx(1.0 + 0.0 + 1.5 + std::log(2.0)));
    // A task not drawn this step contributes nothing, not even its s.
    CHECK(uncertainty_weighted({at::Tensor(), at::tensor(3.0, at::kDouble)}, s).item<double>() ==
          Approx(1.5 + std::log(2.0)));
}

TEST_CASE("loss weighting: DWA weights from the last two epochs' loss ratios", "[train][weighting]") {
    const auto w = dwa_weights({0.5, 2.0}, {1.0, 2.0}, 2.0);  // ratios 0.5 and 1
    const double a = std::exp(0.25), b = std::exp(0.5);
    CHECK(w[0] == Approx(2 * a / (a + b)));
    CHECK(w[1] == Approx(2 * b / (a + b)));

    TrainConfig config;
    config.loss_weighting = LossWeighting::Dwa;
    auto dwa = make_loss_weighting(config, 2, {});
    dwa->record({1.0, 2.0});
    dwa->record({1.0, std::nan("")});  // task 1 not drawn: its mean stays 2
    dwa->end_epoch();
    CHECK(dwa->weights() == std::vector<double>{1.0, 1.0});  // one epoch is not enough
    dwa->record({0.5, 2.0});
    dwa->end_epoch();
    CHECK(dwa->weights()[0] == Approx(w[0]));
    CHECK(dwa->weights()[1] == Approx(w[1]));
}

TEST_CASE("loss weighting: GradNorm's loss and its gradient on the weights", "[train][weighting]") {
    const at::Tensor weights = at::ones({2}, at::kDouble).requires_grad_(true);
    // ||grad L_1|| = 8, ||grad L_2|| = 2, equal loss ratios: mean G = 5, targets 5 and 5.
    const at::Tensor loss = gradnorm_loss(weights, at::tensor({8.0, 2.0}, at::kDouble), at::ones({2}, at::kDouble), 1.5);
    CHECK(loss.item<double>() == Approx(6.0));
    loss.backward();
    CHECK(weights.grad()[0].item<double>() == Approx(8.0));
    CHECK(weights.grad()[1].item<double>() == Approx(-2.0));
}

TEST_CASE("loss weighting: every scheme trains and logs its weights in the trace", "[train][weighting]") {
    SmallExperiment experiment;
    for (const char* scheme : {"uncertainty", "dwa", "gradnorm"}) {
        INFO(scheme);
        const auto result = train_model(
            experiment.request({std::string("train.loss_weighting=") + scheme, "train.epochs=3"}));
        CHECK(result.test[1].selection >= 0.9);
        const std::string moved = sm4::test::h5py(result.run_dir / "trace.h5",
                                                  "f['loss/weight'].shape[1], bool(np.abs(f['loss/weight'][-1] - 1).max() > 1e-4)");
        CHECK(moved == "2 True\n");
    }
    const auto fixed = train_model(experiment.request({"train.task_weights=[2.0, 1.0]", "train.epochs=1"}));
    CHECK(sm4::test::h5py(fixed.run_dir / "trace.h5", "f['loss/weight'][-1].tolist()") == "[2.0, 1.0]\n");
}
