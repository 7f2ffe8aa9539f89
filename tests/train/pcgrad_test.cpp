// PCGrad against hand-computed projections, and inside training.
#include <catch.hpp>

#include <ATen/ATen.h>

#include "core/errors.h"
#include "train/pcgrad.h"
#include "train/trainer.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;

namespace {
std::vector<at::Tensor> gradient(std::vector<double> values) { return {at::tensor(values, at::kDouble)}; }
}  // namespace

TEST_CASE("pcgrad: conflicting gradients are projected off each other, then summed", "[train][pcgrad]") {
    // g1 = (1, 0), g2 = (-1, 1): g1.g2 = -1 < 0.
    // g1' = g1 - (g1.g2 / |g2|^2) g2 = (1, 0) + 0.5 (-1, 1) = (0.5, 0.5)
    // g2' = g2 - (g2.g1 / |g1|^2) g1 = (-1, 1) + (1, 0) = (0, 1)
    const auto total = pcgrad_combine({gradient({1, 0}), gradient({-1, 1})}, 7);
    REQUIRE(total.size() == 1);
    CHECK(at::allclose(total[0], at::tensor({0.5, 1.5}, at::kDouble)));
    // Gradients that agree are summed untouched.
    CHECK(at::allclose(pcgrad_combine({gradient({1, 2}), gradient({3, 1})}, 7)[0], at::tensor({4.0, 3.0}, at::kDouble)));
    // A parameter only one task reached keeps that task's gradient (the other's part is zero).
    const auto partial = pcgrad_combine({{at::tensor({1.0}, at::kDouble), at::Tensor()},
                                         {at::tensor({2.0}, at::kDouble), at::tensor({5.0}, at::kDouble)}},
                                        7);
    CHECK(at::allclose(partial[0], at::tensor({3.0}, at::kDouble)));
    CHECK(at::allclose(partial[1], at::tensor({5.0}, at::kDouble)));
}

TEST_CASE("pcgrad: a run with train.pcgrad learns; with learned weightings it is refused", "[train][pcgrad]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request({"train.pcgrad=true"}));
    CHECK(result.test[0].selection >= 0.8);  // wine
    CHECK(result.test[1].selection >= 0.9);  // breast-cancer
    CHECK_THROWS_WITH(experiment.config({"train.pcgrad=true", "train.loss_weighting=gradnorm"}),
                      Catch::Contains("train.pcgrad needs train.loss_weighting"));
}
