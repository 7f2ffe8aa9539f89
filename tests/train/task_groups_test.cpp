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

TEST_CASE("task groups: small, medium and large carry the paper's SM4 settings, HighMMT's under --method highmmt",
          "[train][multibench]") {
    const Config small = load_config({experiment("small")}, {}).values;
    CHECK(small.data.tasks == std::vector<std::string>{"push", "vt"});
    CHECK(small.train.lr == 5e-4);
    CHECK(small.train.task_weights == std::vector<double>{100.0, 1.0});
    CHECK(small.train.task_batch_sizes == std::vector<std::int64_t>{28, 64});  // Table 15
    CHECK(small.model.latents == 20);
    CHECK(load_config({experiment("small")}, {}, "highmmt").values.train.task_batch_sizes == std::vector<std::int64_t>{18, 64});
    const Config medium = load_config({experiment("medium")}, {}).values;
    CHECK(medium.data.tasks == std::vector<std::string>{"enrico", "avmnist", "push"});
    CHECK(medium.train.task_weights == std::vector<double>{10.0, 0.8, 10.0});  // Table 16, in data.tasks order
    CHECK(medium.model.num_experts == 32);
    CHECK(medium.model.token_rules.front() == "enrico/screenshot: patches=16x8");
    const Config medium_highmmt = load_config({experiment("medium")}, {}, "highmmt").values;
    CHECK(medium_highmmt.train.task_weights == std::vector<double>{1.0, 1.2, 1.0});
    CHECK(medium_highmmt.model.token_rules.front() == "enrico/screenshot: pixels max_freq=4");
    const Config large = load_config({experiment("large")}, {}).values;
    CHECK(large.data.tasks == std::vector<std::string>{"mimic", "avmnist", "mosei", "urfunny"});
    CHECK(large.train.epochs == 100);
    CHECK(large.train.weight_decay == 1e-3);
    CHECK(large.model.heads == 8);
    CHECK(large.model.latents == 12);
    CHECK(large.model.binary_logits == 2);
    const Config large_highmmt = load_config({experiment("large")}, {}, "highmmt").values;
    CHECK(large_highmmt.train.epochs == 80);
    CHECK(large_highmmt.model.latents == 20);
    CHECK(large_highmmt.model.latent_heads == 6);
    CHECK_THROWS_WITH(load_config({experiment("large")}, {}, "hihgmmt"),
                      Catch::Contains("--method hihgmmt: the config files have no [method.hihgmmt] table (they have: highmmt)"));
}

namespace {
// Converts the fixtures of `sources` (task -> fixture path) and trains `group` for one short epoch.
// `extra`: overrides for the fixtures' shapes (AV-MNIST's fixture spectrograms are 12 x 12, not
// 112 x 112, so the group's 16 x 16 squares do not divide them).
TrainResult train_group(const std::string& group, const std::vector<std::pair<std::string, std::string>>& sources,
                        const sm4::test::TempDir& dir, const std::vector<std::string>& extra = {}) {
    const Config defaults = load_config({}, {}).values;
    for (const auto& [task, source] : sources)
        preprocess_dataset(task, fixture(source), dir / "data" / (task + ".h5"), defaults);
    TrainRequest request;
    std::vector<std::string> overrides = {"data.root=" + (dir / "data").string(), "output.database=" + (dir / "sm4.db").string(),
                                          "output.runs_dir=" + (dir / "runs").string(), "train.epochs=1",
                                          "train.steps_per_epoch=2", "train.batch_size=4", "train.task_batch_sizes=[]",
                                          "train.threads=1"};
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    request.config = load_config({experiment(group)}, overrides);
    return train_model(request);
}
}  // namespace

TEST_CASE("task groups: experiments/large.toml trains on fixture-sized MultiBench data", "[train][multibench]") {
    sm4::test::TempDir dir;
    const TrainResult result = train_group(
        "large", {{"mimic", "im.pk"}, {"avmnist", "avmnist"}, {"mosei", "mosei.pkl"}, {"urfunny", "humor.pkl"}}, dir,
        {"model.token_rules=[\"mimic/timeseries: steps bands=3\", \"avmnist/image: patches=4\", \"avmnist/audio: patches=4\", "
         "\"mosei/text: steps bands=3 code=text\", \"urfunny/text: steps bands=3 code=text\"]"});
    REQUIRE(result.test.size() == 4);
    CHECK(result.test[0].task == "mimic");
}

TEST_CASE("task groups: experiments/small.toml trains on fixture-sized push and vt", "[train][multibench]") {
    sm4::test::TempDir dir;
    const TrainResult result = train_group("small", {{"push", "push"}, {"vt", "vt"}}, dir);
    REQUIRE(result.test.size() == 2);
    CHECK(result.test[0].task == "push");
    CHECK(result.test[1].task == "vt");
}

TEST_CASE("task groups: experiments/medium.toml trains on fixture-sized enrico, avmnist and push",
          "[train][multibench]") {
    sm4::test::TempDir dir;
    const TrainResult result =
        train_group("medium", {{"enrico", "enrico"}, {"avmnist", "avmnist"}, {"push", "push"}}, dir,
                    {"model.token_rules=[\"enrico/screenshot: patches=16x8\", \"enrico/wireframe: patches=16x8\", "
                     "\"avmnist/image: patches=4\", \"avmnist/audio: patches=4\", \"push/image: patches=4\"]"});
    REQUIRE(result.test.size() == 3);
    CHECK(result.test[0].task == "enrico");
}
