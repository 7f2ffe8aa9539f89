// The measured counter: the matrix products a forward really executes, against the analytic
// count (equal when no token is dropped, less when a capacity limit drops some), and
// `sm4 flops` end to end (rows in the database, errors).
#include <catch.hpp>

#include <ATen/ATen.h>

#include "io/results_db.h"
#include "model/flops/flop_count.h"
#include "model/flops/flop_counter.h"
#include "model/flops/flop_measure.h"
#include "core/config_hash.h"
#include "flop_fixture.h"
#include "../support/run_command.h"
#include "../train/training_fixture.h"

using namespace sm4;
using Catch::Matchers::Contains;

namespace {

std::vector<TaskSpec> two_tasks() {
    return {test::image_and_sequence_task(),
            {"b", TaskType::Binary, 2, {{"features", "table", {6}}, {"img", "image", {3, 12, 10}}}}};
}

ModelConfig small(const std::string& backbone) { return test::tiny_model(backbone, 2); }  // nothing dropped

// Analytic rows of `c` with every task's measured FLOPs attached (batches of 5).
std::vector<FlopsRecord> measured_rows(const ModelConfig& c) {
    at::manual_seed(0);
    const auto tasks = two_tasks();
    MultitaskModel model(c, tasks);
    auto rows = analytic_flops(c, tasks, 5, "configured");
    for (std::size_t t = 0; t < tasks.size(); ++t)
        attach_measured(rows, "configured", tasks[t].name, measure_task_flops(model, t, test::random_batch(tasks[t], 5)));
    return rows;
}

}  // namespace

TEST_CASE("flop counter: counts mm, addmm, bmm and convolutions once, labelled by their weights", "[flops]") {
    const at::Tensor w = at::randn({6, 4});
    MatmulFlopCounter counter;
    counter.label(7, {w});
    at::mm(at::randn({3, 6}), w);                                   // 2*3*6*4 = 144, labelled
    at::matmul(at::randn({2, 5, 3}), at::randn({2, 3, 4}));         // bmm: 2*2*5*3*4 = 240
    at::conv2d(at::randn({2, 3, 8, 8}), at::randn({5, 3, 4, 4}), {}, 4);  // 2 * (2*5*2*2) * 48 = 3840
    at::linear(at::randn({2, 3, 4}), w, at::randn({6}));            // 2*6*4*6 = 288, labelled
    const auto by_label = counter.by_label();
    CHECK(by_label.at(7) == 144 + 288);
    CHECK(by_label.at(-1) == 240 + 3840);
    CHECK(counter.total() == 144 + 240 + 3840 + 288);
    CHECK_THROWS_WITH(MatmulFlopCounter(), Contains("already counting"));
}

TEST_CASE("flop counter: measured equals analytic, row by row, when nothing is dropped", "[flops]") {
    auto with = [](ModelConfig c, auto change) {
        change(c);
        return c;
    };
    const std::vector<std::pair<std::string, ModelConfig>> cases = {
        {"dense", small("dense")},
        {"smoe", small("smoe")},
        {"sm4, a k per modality", with(small("sm4"), [](ModelConfig& c) { c.modality_top_k = {1, 2, 1, 3}; })},
        {"sm4 modality routers", with(small("sm4"), [](ModelConfig& c) { c.ffn_router = c.attention_router = RouterScope::Modality; })},
        {"sm4 task routers, one for q, k, v", with(small("sm4"), [](ModelConfig& c) {
             c.ffn_router = c.attention_router = RouterScope::Task;
             c.qkv_router = QkvRouting::Shared;
         })},
        {"sm4 batch fusion, width 12", with(small("sm4"), [](ModelConfig& c) {
             c.fusion = Fusion::Batch;
             c.d_model = 12;
             c.heads = 3;
         })},
        {"highmmt", small("highmmt")},
    };
    for (const auto& [name, c] : cases) {
        INFO(name);
        for (const auto& r : measured_rows(c)) {
            if (r.task.empty()) continue;
            INFO(r.task << "/" << r.modality << "/" << r.component);
            REQUIRE(r.measured_flops);
            CHECK(*r.measured_flops == Approx(r.flops).epsilon(1e-9));
        }
    }
}

TEST_CASE("flop counter: a capacity limit that drops tokens shows as fewer measured FLOPs", "[flops]") {
    ModelConfig c = small("smoe");
    c.capacity_factor = 1.0;  // untrained routers are all ties: every token picks the same two experts
    c.modality_top_k = {2};
    for (const auto& r : measured_rows(c)) {
        if (r.task.empty() || r.component != kSmoe) continue;
        INFO(r.task << "/" << r.modality);
        CHECK(*r.measured_flops < r.flops);
        CHECK(*r.measured_flops == Approx(r.flops / 2));  // two experts of four, each keeping a quarter of 2N
    }
}

TEST_CASE("sm4 flops: writes the configured and dense rows the database reads back", "[flops]") {
    const test::SmallExperiment experiment;
    const auto extra = std::vector<std::string>{"model.backbone=sm4", "model.modality_top_k=[1,2]"};
    const auto result = test::run_command(std::string(SM4_BINARY) + " flops" + experiment.set_arguments(extra));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Contains("reduction %") && Contains("breast-cancer") && Contains("measured on batches of"));
    const ResultsDb db(experiment.database());
    const auto rows = db.flops(std::nullopt, config_hash(experiment.config(extra)));
    REQUIRE(!rows.empty());
    std::size_t configured = 0, dense = 0, measured = 0;
    for (const auto& r : rows) {
        (r.model == "configured" ? configured : dense) += 1;
        if (r.measured_flops && r.task != "" && *r.measured_flops > 0) ++measured;
        if (r.model == "dense") CHECK((r.component != "smoe" && r.component != "smoa"));
    }
    CHECK(configured > 0);
    CHECK(dense > 0);
    CHECK(measured > 0);
    // wine's table (slot 1) activates 1 expert, breast-cancer's (slot 2) 2: 8 latents each, each
    // expert 4 * 32 * 64 FLOPs a token.
    for (const auto& r : rows) {
        if (r.model != "configured" || r.component != "smoe") continue;
        if (r.task == "wine") CHECK(r.flops == 8.0 * 1 * 4 * 32 * 64);
        if (r.task == "breast-cancer") CHECK(r.flops == 8.0 * 2 * 4 * 32 * 64);
    }

    const auto again = test::run_command(std::string(SM4_BINARY) + " flops --no-measure --json" +
                                         experiment.set_arguments(extra));
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Contains("\"measured_flops\": null") && Contains("\"reduction_percent\""));
    CHECK(db.flops(std::nullopt, config_hash(experiment.config(extra))).size() == rows.size());  // replaced, not added
}

TEST_CASE("sm4 flops: an unknown run is a clear error", "[flops]") {
    const test::TempDir dir;
    const std::string database = (dir / "sm4.db").string();
    { const ResultsDb db(database); }
    const auto result = test::run_command(std::string(SM4_BINARY) + " flops --run 42 --db " + database);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Contains("run 42 not found in " + database));
}

TEST_CASE("sm4 flops --config with --db writes its rows there, not to output.database", "[flops][cli]") {
    const test::SmallExperiment experiment;
    const test::TempDir dir;
    const std::string database = (dir / "elsewhere.db").string();
    const auto result = test::run_command(std::string(SM4_BINARY) + " flops --no-measure --db " + database +
                                          experiment.set_arguments({}));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(!ResultsDb(database).flops(std::nullopt, config_hash(experiment.config({}))).empty());
    CHECK(!std::filesystem::exists(experiment.database()));  // the experiment's own database untouched
}
