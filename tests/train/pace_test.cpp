// Adaptive learning pace: the multipliers follow the documented rule on synthetic entropy
// sequences, stay within their bounds, and drive a real run.
#include <catch.hpp>

#include <cmath>

#include "train/pace.h"
#include "train/trainer.h"
#include "../support/h5py.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;

namespace {

PaceConfig settings(double beta = 0.5) {
    PaceConfig c;
    c.enabled = true;
    c.beta = beta;
    return c;
}

}  // namespace

TEST_CASE("pace: a settled group slows down, a moving one speeds up, by the documented rule", "[train][pace]") {
    PaceController pace(2, settings());
    CHECK(pace->multipliers() == std::vector<double>{1.0, 1.0});
    // Group 0 settles at 0.5; group 1 keeps falling by 0.1 per window.
    pace->update({0.9, 0.9});
    CHECK(pace->multipliers() == std::vector<double>{1.0, 1.0});  // no rate yet
    pace->update({0.5, 0.8});
    // m: 0.9 -> 0.7 and 0.9 -> 0.85; v = |change| = 0.2 and 0.05.
    CHECK(pace->rate[0].item<double>() == Approx(0.2));
    CHECK(pace->rate[1].item<double>() == Approx(0.05));
    auto p = pace->multipliers();
    CHECK(p[0] == Approx(0.2 / 0.125));   // 1.6: group 0's routing moved more so far
    CHECK(p[1] == Approx(0.5));           // 0.4, clamped to the lower bound
    double falling = 0.8;
    for (int window = 0; window < 6; ++window) {
        falling -= 0.1;
        pace->update({0.5, falling});
    }
    p = pace->multipliers();
    CHECK(p[0] < 1.0);  // settled: slowed down
    CHECK(p[1] > 1.0);  // still moving: sped up
    const double v0 = pace->rate[0].item<double>(), v1 = pace->rate[1].item<double>();
    CHECK(p[1] == Approx(std::clamp(v1 / ((v0 + v1) / 2), 0.5, 2.0)));
}

TEST_CASE("pace: multipliers stay within their bounds and a group without tokens keeps its state", "[train][pace]") {
    PaceConfig c = settings(0.0);
    c.gain = 3.0;
    PaceController pace(3, c);
    pace->update({0.9, 0.9, 0.9});
    pace->update({0.1, 0.89, 0.9});
    pace->update({0.9, 0.88, 0.9});
    for (double p : pace->multipliers()) {
        CHECK(p >= c.min);
        CHECK(p <= c.max);
    }
    CHECK(pace->multipliers()[0] == c.max);
    CHECK(pace->multipliers()[2] == c.min);
    const double before = pace->average[1].item<double>();
    pace->update({0.5, std::nan(""), 0.5});
    CHECK(pace->average[1].item<double>() == before);
}

TEST_CASE("pace: a group without a routing signal keeps 1 and does not skew the others", "[train][pace]") {
    PaceController pace(3, settings());
    const double nan = std::nan("");
    pace->update({0.9, 0.9, nan});  // group 2 has a single expert: never any entropy
    pace->update({0.5, 0.8, nan});
    const auto p = pace->multipliers();
    CHECK(p[0] == Approx(1.6));
    CHECK(p[1] == Approx(0.5));
    CHECK(p[2] == 1.0);
}

TEST_CASE("pace: ALP runs with the sm4 backbone and logs bounded multipliers; off, they stay 1", "[train][pace]") {
    SmallExperiment experiment;
    const auto on = train_model(experiment.request({"model.backbone=sm4", "pace.enabled=true", "train.epochs=2"}));
    CHECK(on.test[1].selection >= 0.9);
    CHECK(sm4::test::h5py(on.run_dir / "trace.h5",
                          "f['pace/multiplier'].shape, list(f.attrs['pace_groups']), "
                          "bool(((f['pace/multiplier'][()] >= 0.5) & (f['pace/multiplier'][()] <= 2)).all()), "
                          "bool((f['pace/multiplier'][-1] != 1).any())") ==
          "(10, 2) ['wine/table', 'breast-cancer/table'] True True\n");
    const auto off = train_model(experiment.request({"model.backbone=sm4", "train.epochs=1"}));
    CHECK(sm4::test::h5py(off.run_dir / "trace.h5", "bool((f['pace/multiplier'][()] == 1).all())") == "True\n");
}
