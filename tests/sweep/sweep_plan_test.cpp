// The [sweep] table expands into the documented runs, in the documented order, and every
// mistake in it is a ConfigError naming the file, the line and the key.
#include <catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/errors.h"
#include "sweep/sweep_plan.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

// The plan of a sweep file with `text`, written as `dir`/`name`.
SweepPlan plan_of(const TempDir& dir, const std::string& name, const std::string& text,
                  const std::vector<std::string>& overrides = {}) {
    std::ofstream(dir / name) << text;
    return make_sweep_plan(dir / name, overrides);
}

std::vector<std::string> labels(const SweepPlan& plan) {
    std::vector<std::string> out;
    for (const auto& run : plan.runs) out.push_back(run.label());
    return out;
}

const char* kAblation = R"(# base config
[data]
tasks = ["wine", "breast-cancer"]
[train]
task_weights = [1.0, 3.0]

[sweep]
name = "ablation"
seeds = [0, 1]
train.lr = [1e-3, 2e-3]
model.backbone = ["smoe", "sm4"]
[[sweep.variant]]
name = "full"
[[sweep.variant]]
name = "single-task"
per_task = true
set = { "model.num_experts" = 4 }
)";

// Throws the ConfigError of make_sweep_plan on `text`, or fails.
std::string plan_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    TempDir dir;
    try {
        plan_of(dir, "bad.toml", text, overrides);
    } catch (const ConfigError& e) {
        return std::string(e.what());
    }
    FAIL("no ConfigError for:\n" << text);
    return "";
}

}  // namespace

TEST_CASE("sweep: variants x grid points x seeds x tasks, in the documented order", "[sweep]") {
    TempDir dir;
    const SweepPlan plan = plan_of(dir, "ablation.toml", kAblation);
    CHECK(plan.name == "ablation");
    CHECK(plan.axes == std::vector<std::string>{"model.backbone", "train.lr"});  // key order
    // Variants as listed, then grid points (last axis fastest), then seeds, then tasks.
    CHECK(labels(plan) == std::vector<std::string>{
        "full model.backbone=smoe train.lr=0.001 seed 0",
        "full model.backbone=smoe train.lr=0.001 seed 1",
        "full model.backbone=smoe train.lr=0.002 seed 0",
        "full model.backbone=smoe train.lr=0.002 seed 1",
        "full model.backbone=sm4 train.lr=0.001 seed 0",
        "full model.backbone=sm4 train.lr=0.001 seed 1",
        "full model.backbone=sm4 train.lr=0.002 seed 0",
        "full model.backbone=sm4 train.lr=0.002 seed 1",
        "single-task wine model.backbone=smoe train.lr=0.001 seed 0",
        "single-task breast-cancer model.backbone=smoe train.lr=0.001 seed 0",
        "single-task wine model.backbone=smoe train.lr=0.001 seed 1",
        "single-task breast-cancer model.backbone=smoe train.lr=0.001 seed 1",
        "single-task wine model.backbone=smoe train.lr=0.002 seed 0",
        "single-task breast-cancer model.backbone=smoe train.lr=0.002 seed 0",
        "single-task wine model.backbone=smoe train.lr=0.002 seed 1",
        "single-task breast-cancer model.backbone=smoe train.lr=0.002 seed 1",
        "single-task wine model.backbone=sm4 train.lr=0.001 seed 0",
        "single-task breast-cancer model.backbone=sm4 train.lr=0.001 seed 0",
        "single-task wine model.backbone=sm4 train.lr=0.001 seed 1",
        "single-task breast-cancer model.backbone=sm4 train.lr=0.001 seed 1",
        "single-task wine model.backbone=sm4 train.lr=0.002 seed 0",
        "single-task breast-cancer model.backbone=sm4 train.lr=0.002 seed 0",
        "single-task wine model.backbone=sm4 train.lr=0.002 seed 1",
        "single-task breast-cancer model.backbone=sm4 train.lr=0.002 seed 1",
    });
    for (std::size_t i = 0; i < plan.runs.size(); ++i) CHECK(plan.runs[i].index == i);

    const Config& full = plan.runs[6].config.values;  // full, sm4, lr 0.002, seed 0
    CHECK(to_string(full.model.backbone) == "sm4");
    CHECK(full.train.lr == 0.002);
    CHECK(full.train.seed == 0);
    CHECK(full.model.num_experts == 16);
    CHECK(full.data.tasks == std::vector<std::string>{"wine", "breast-cancer"});
    CHECK(full.output.run_name == "ablation/full");

    const SweepRun& single = plan.runs[11];  // breast-cancer, smoe, lr 0.001, seed 1
    CHECK(single.variant == "single-task");
    CHECK(single.task == "breast-cancer");
    CHECK(single.config.values.data.tasks == std::vector<std::string>{"breast-cancer"});
    CHECK(single.config.values.train.task_weights == std::vector<double>{3.0});  // its own weight
    CHECK(single.config.values.model.num_experts == 4);
    CHECK(single.config.values.train.seed == 1);

    std::set<std::string> hashes;
    for (const auto& run : plan.runs) hashes.insert(run.config_hash);
    CHECK(hashes.size() == plan.runs.size());
}

TEST_CASE("sweep: without variants or seeds, one 'base' variant keeps train.seed; --set reaches every run",
          "[sweep]") {
    TempDir dir;
    const std::string text = "[train]\nseed = 7\n[sweep]\ntrain.lr = [0.1, 0.2]\n";
    const SweepPlan plan = plan_of(dir, "lr-grid.toml", text);
    CHECK(plan.name == "lr-grid");  // the file's stem
    CHECK(labels(plan) == std::vector<std::string>{"base train.lr=0.1 seed 7", "base train.lr=0.2 seed 7"});

    const SweepPlan quick = plan_of(dir, "lr-grid.toml", text, {"train.epochs=1"});
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(quick.runs[i].config.values.train.epochs == 1);
        CHECK(quick.runs[i].config_hash != plan.runs[i].config_hash);  // --set is part of the config
    }
    // A file without [sweep] is a sweep of one run.
    CHECK(labels(plan_of(dir, "plain.toml", "[train]\nlr = 0.1\n")) ==
          std::vector<std::string>{"base seed 0"});
}

TEST_CASE("sweep: an unknown key names the file, the line and the key", "[sweep]") {
    const std::string variant = plan_error("[sweep]\nseeds = [0]\n[[sweep.variant]]\nname = \"dense\"\n"
                                           "set = { \"model.backbon\" = \"dense\" }\n");
    CHECK_THAT(variant, Contains("bad.toml:5: unknown key 'model.backbon' (did you mean 'model.backbone'?)"));
    CHECK_THAT(plan_error("[sweep]\n\ntrain.lrr = [0.1, 0.2]\n"), Contains("bad.toml:3: unknown key 'train.lrr'"));
    CHECK_THAT(plan_error("[model]\nbackbone = \"dense\"\nexperts = 3\n[sweep]\nseeds = [1]\n"),
               Contains("bad.toml:3: unknown key 'model.experts'"));
    CHECK_THAT(plan_error("[sweep]\nmodel.backbone = [\"dense\", 3]\n"),
               Contains("bad.toml:2: key 'model.backbone' expects a string, found an integer"));
    CHECK_THAT(plan_error("[sweep]\nseeds = [0]\n", {"train.lrr=1"}), Contains("--set: unknown key 'train.lrr'"));
}

TEST_CASE("sweep: a malformed [sweep] table is a config error", "[sweep]") {
    CHECK_THAT(plan_error("[sweep]\ntrain.lr = 0.1\n"),
               Contains("bad.toml:2: [sweep] key 'train.lr' expects a non-empty list of values, one per grid point"));
    CHECK_THAT(plan_error("[sweep]\nseeds = [0, \"one\"]\n"), Contains("bad.toml:2: [sweep] seeds expects"));
    CHECK_THAT(plan_error("[sweep]\n[[sweep.variant]]\nper_task = true\n"),
               Contains("bad.toml:2: [[sweep.variant]] needs a name"));
    CHECK_THAT(plan_error("[sweep]\n[[sweep.variant]]\nname = \"a\"\npertask = true\n"),
               Contains("bad.toml:4: [[sweep.variant]] has no field 'pertask'"));
    CHECK_THAT(plan_error("[sweep]\n[[sweep.variant]]\nname = \"a\"\n[[sweep.variant]]\nname = \"a\"\n"),
               Contains("a second variant is named 'a'"));
    CHECK_THAT(plan_error("[sweep]\nseeds = [0]\n[[sweep.variant]]\nname = \"a\"\nset = [\"model.backbone=dense\"]\n"),
               Contains("bad.toml:5: [[sweep.variant]] field 'set' expects a table of config keys"));
    CHECK_THAT(plan_error("[sweep\n"), Contains("bad.toml:1:"));
    // Two runs with one config: here --set undoes the grid.
    CHECK_THAT(plan_error("[sweep]\ntrain.lr = [0.1, 0.2]\n", {"train.lr=0.3"}),
               Contains("runs 0 (base train.lr=0.1 seed 0) and 1 (base train.lr=0.2 seed 0) resolve to the same config"));
    // Cross-key checks name the run.
    CHECK_THAT(plan_error("[train]\ntask_weights = [1.0]\n[sweep]\nseeds = [0]\n"),
               Contains("run 0 (base seed 0): train.task_weights has 1 weights"));
}

TEST_CASE("sweep: --shard i/n takes every n-th run from i, and the shards partition the sweep", "[sweep]") {
    TempDir dir;
    const SweepPlan plan = plan_of(dir, "ablation.toml", kAblation);
    std::vector<std::size_t> seen;
    for (const std::string text : {"0/3", "1/3", "2/3"}) {
        const auto runs = shard_runs(plan, parse_shard(text));
        CHECK(runs.size() == 8);
        for (const auto* run : runs) {
            CHECK(run->index % 3 == static_cast<std::size_t>(text[0] - '0'));
            seen.push_back(run->index);
        }
    }
    std::sort(seen.begin(), seen.end());
    for (std::size_t i = 0; i < plan.runs.size(); ++i) CHECK(seen[i] == i);
    CHECK(shard_runs(plan, parse_shard("0/1")).size() == plan.runs.size());
    for (const std::string bad : {"2/2", "1", "a/2", "-1/2", "1/0", "1/2x", "/2"})
        CHECK_THROWS_AS(parse_shard(bad), UsageError);
}
