// SM4's adaptive expert allocation: the rule on given probe numbers, and the probe inside
// `sm4 train` (the allocations table, the chosen sizes in the stored config).
#include <catch.hpp>

#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "io/results_db.h"
#include "train/allocation_rule.h"
#include "train/trainer.h"
#include "training_fixture.h"
#include "../support/h5py.h"

using namespace sm4;
using sm4::test::SmallExperiment;

namespace {

AeaConfig rule(const std::string& name, double tolerance = 0.05, std::int64_t budget = 0) {
    AeaConfig c;
    c.rule = parse_choice<AeaRule>("aea.rule", name);
    c.tolerance = tolerance;
    c.budget = budget;
    return c;
}

// Candidates 1, 2, 4, 8 (given out of order): the best val loss is 8's (1.00); 2 is within 5%
// (1.04) but 1 is not (1.10); 4 has the smallest gap among those within 5%.
const std::vector<ProbeScore> kScores = {
    {8, 0.60, 1.00}, {1, 1.00, 1.10}, {4, 0.95, 1.03}, {2, 0.90, 1.04},
};

}  // namespace

TEST_CASE("aea rule: each rule picks its documented count on given probe numbers", "[train][aea]") {
    CHECK(choose_expert_count(kScores, rule("within_tolerance")) == 2);
    CHECK(choose_expert_count(kScores, rule("within_tolerance", 0.20)) == 1);  // 1.10 <= 1.00 * 1.2
    CHECK(choose_expert_count(kScores, rule("within_tolerance", 0.0)) == 8);
    CHECK(choose_expert_count(kScores, rule("lowest_val")) == 8);
    CHECK(choose_expert_count(kScores, rule("lowest_gap")) == 4);  // gaps: 8: 0.40, 4: 0.08, 2: 0.14
    // Ties on the val loss go to the smaller count.
    CHECK(choose_expert_count({{4, 0.5, 0.7}, {2, 0.5, 0.7}}, rule("lowest_val")) == 2);
    // A diverged probe (NaN or infinite val loss) is never chosen, even as the "best".
    const double nan = std::nan("");
    CHECK(choose_expert_count({{1, 0.5, nan}, {2, 0.5, 0.9}, {4, 0.5, 1.0}}, rule("within_tolerance")) == 2);
    CHECK(choose_expert_count({{1, 0.5, 1.0}, {2, 0.5, -INFINITY}}, rule("lowest_val")) == 1);
    CHECK(choose_expert_count({{2, nan, nan}, {1, nan, nan}}, rule("lowest_gap")) == 1);
    // A negative best (regression losses are not, but scores may be) widens by |best|.
    CHECK(choose_expert_count({{1, 0.0, -0.95}, {2, 0.0, -1.0}}, rule("within_tolerance", 0.1)) == 1);
}

TEST_CASE("aea rule: over budget, the largest group steps down to its next candidate", "[train][aea]") {
    AeaConfig c = rule("lowest_val", 0.05, 10);
    c.candidates = {1, 2, 4, 8};
    const std::vector<std::vector<ProbeScore>> groups = {
        {{1, 0, 2.0}, {2, 0, 1.5}, {4, 0, 1.2}, {8, 0, 1.0}},  // wants 8
        {{1, 0, 2.0}, {2, 0, 1.5}, {4, 0, 1.0}, {8, 0, 1.1}},  // wants 4
        {{1, 0, 1.0}, {2, 0, 1.5}, {4, 0, 1.2}, {8, 0, 1.1}},  // wants 1
    };
    CHECK(choose_allocation(groups, rule("lowest_val")) == std::vector<std::int64_t>{8, 4, 1});
    // 13 > 10: 8 -> 4 (9 experts).
    CHECK(choose_allocation(groups, c) == std::vector<std::int64_t>{4, 4, 1});
    c.budget = 6;  // 9 -> 4,2,1 (7; the later of two equal groups steps first) -> 2,2,1
    CHECK(choose_allocation(groups, c) == std::vector<std::int64_t>{2, 2, 1});
    c.budget = 2;
    CHECK_THROWS_WITH(choose_allocation(groups, c), Catch::Contains("aea.budget (2)"));
}

TEST_CASE("aea: sm4 train probes every candidate, records them and trains with the choice", "[train][aea]") {
    SmallExperiment experiment;
    const auto result = train_model(experiment.request(
        {"model.backbone=sm4", "aea.enabled=true", "aea.candidates=[1, 3]", "aea.probe_steps=8", "train.epochs=1"}));
    ResultsDb db(experiment.database());
    const auto rows = db.allocations(result.run_id);
    REQUIRE(rows.size() == 4);  // 2 groups x 2 candidates
    CHECK(rows[0].modality == "wine/table");
    CHECK(rows[1].candidate == 3);
    CHECK(rows[2].modality == "breast-cancer/table");
    std::vector<std::int64_t> chosen;
    for (const auto& r : rows) {
        CHECK(r.gap == Approx(r.val_loss - r.train_loss));
        CHECK(r.probe_seconds > 0);
        if (r.chosen) chosen.push_back(r.candidate);
    }
    REQUIRE(chosen.size() == 2);  // one per group
    CHECK(result.probe_seconds > 0);
    CHECK(result.probe_seconds < result.seconds);
    // The choice is the run's model.group_experts, marked as AEA's, and the model was built with it.
    const auto run = db.find_run(result.run_id);
    REQUIRE(run);
    CHECK_THAT(run->config_toml,
               Catch::Contains(fmt::format("group_experts = [{}, {}]", chosen[0], chosen[1])));
    CHECK(sm4::test::h5py(result.run_dir / "trace.h5", "f['routing/load'].shape[2]") ==
          std::to_string(chosen[0] + chosen[1]) + "\n");
}

TEST_CASE("aea: given model.group_experts, or another backbone, there is no probe", "[train][aea]") {
    SmallExperiment experiment;
    const auto fixed = train_model(experiment.request(
        {"model.backbone=sm4", "aea.enabled=true", "model.group_experts=[2, 1]", "train.epochs=1"}));
    const auto shared = train_model(experiment.request({"model.backbone=smoe", "aea.enabled=true", "train.epochs=1"}));
    ResultsDb db(experiment.database());
    CHECK(db.allocations(fixed.run_id).empty());
    CHECK(db.allocations(shared.run_id).empty());
    CHECK(fixed.probe_seconds == 0.0);
}
