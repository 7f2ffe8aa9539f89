// The paper's task-group experiments: every one validates, and each trains end to end on the
// MultiBench-format fixtures.
#include <catch.hpp>

#include "core/config_loader.h"
#include "data/preprocess.h"
#include "io/results_db.h"
#include "train/trainer.h"
#include "../support/temp_dir.h"

using namespace sm4;

namespace {
std::filesystem::path experiment(const std::string& name) {
    return std::filesystem::path(SM4_SOURCE_DIR) / "experiments" / (name + ".toml");
}
std::filesystem::path fixture(const std::string& name) {
    return std::filesystem::path(SM4_SOURCE_DIR) / "tests" / "fixtures" / "multibench" / name;
}
}  // namespace

TEST_CASE("task groups: small, medium and large carry HighMMT's settings", "[train][multibench]") {
    const Config small = load_config({experiment("small")}, {}).values;
    CHECK(small.data.tasks == std::vector<std::string>{"push", "vt"});
    CHECK(small.train.lr == 5e-4);
    CHECK(small.train.task_weights == std::vector<double>{100.0, 1.0});
    const Config medium = load_config({experiment("medium")}, {}).values;
    CHECK(medium.data.tasks == std::vector<std::string>{"enrico", "avmnist", "push"});
    CHECK(medium.train.task_weights == std::vector<double>{1.0, 1.2, 1.0});
    const Config large = load_config({experiment("large")}, {}).values;
    CHECK(large.data.tasks == std::vector<std::string>{"mimic", "avmnist", "mosei", "urfunny"});
    CHECK(large.train.epochs == 80);
    CHECK(large.train.weight_decay == 1e-3);
    CHECK(large.model.heads == 6);
}

namespace {
// Converts the fixtures of `sources` (task -> fixture path) and trains `group` for one short epoch.
TrainResult train_group(const std::string& group, const std::vector<std::pair<std::string, std::string>>& sources,
                        const sm4::test::TempDir& dir) {
    const Config defaults = load_config({}, {}).values;
    for (const auto& [task, source] : sources)
        preprocess_dataset(task, fixture(source), dir / "data" / (task + ".h5"), defaults);
    TrainRequest request;
    request.config = load_config({experiment(group)},
                                 {"data.root=" + (dir / "data").string(), "output.database=" + (dir / "sm4.db").string(),
                                  "output.runs_dir=" + (dir / "runs").string(), "train.epochs=1",
                                  "train.steps_per_epoch=2", "train.batch_size=4", "aea.probe_steps=1",
                                  "aea.candidates=[1, 2]", "train.threads=1"});
    return train_model(request);
}
}  // namespace

TEST_CASE("task groups: experiments/large.toml trains on fixture-sized MultiBench data", "[train][multibench]") {
    sm4::test::TempDir dir;
    const TrainResult result = train_group(
        "large", {{"mimic", "im.pk"}, {"avmnist", "avmnist"}, {"mosei", "mosei.pkl"}, {"urfunny", "humor.pkl"}}, dir);
    REQUIRE(result.test.size() == 4);
    CHECK(result.test[0].task == "mimic");
    CHECK(ResultsDb(dir / "sm4.db").allocations(result.run_id).size() == 20);  // 10 modality groups x 2
}

TEST_CASE("task groups: experiments/small.toml trains on fixture-sized push and vt", "[train][multibench]") {
    sm4::test::TempDir dir;
    const TrainResult result = train_group("small", {{"push", "push"}, {"vt", "vt"}}, dir);
    REQUIRE(result.test.size() == 2);
    CHECK(result.test[0].task == "push");
    CHECK(result.test[1].task == "vt");
    CHECK(ResultsDb(dir / "sm4.db").allocations(result.run_id).size() == 18);  // 9 modality groups x 2
}

TEST_CASE("task groups: experiments/medium.toml trains on fixture-sized enrico, avmnist and push",
          "[train][multibench]") {
    sm4::test::TempDir dir;
    const TrainResult result =
        train_group("medium", {{"enrico", "enrico"}, {"avmnist", "avmnist"}, {"push", "push"}}, dir);
    REQUIRE(result.test.size() == 3);
    CHECK(result.test[0].task == "enrico");
    CHECK(ResultsDb(dir / "sm4.db").allocations(result.run_id).size() == 16);  // 8 modality groups x 2
}
