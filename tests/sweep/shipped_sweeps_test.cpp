// The sweep files shipped in experiments/ expand into the runs their comments promise.
#include <catch.hpp>

#include <algorithm>
#include <map>

#include "sweep/sweep_plan.h"

using namespace sm4;

TEST_CASE("sweep: experiments/minibench-ablation.toml runs SM4, its ablations and the baselines, 3 seeds",
          "[sweep][ablation]") {
    const SweepPlan plan = make_sweep_plan(std::string(SM4_SOURCE_DIR) + "/experiments/minibench-ablation.toml", {});
    std::map<std::string, int> runs;
    for (const auto& r : plan.runs) ++runs[r.variant];
    CHECK(runs == std::map<std::string, int>{{"sm4", 3}, {"sm4-no-smoa", 3}, {"sm4-no-smoe", 3}, {"sm4-no-aea", 3},
                                             {"sm4-no-alp", 3}, {"dense", 3}, {"highmmt", 3},
                                             {"highmmt-sm4-tokens", 3}, {"smoe", 3},
                                             {"dense-matched", 3}, {"single-task", 12},
                                             {"uncertainty", 3}, {"dwa", 3}, {"gradnorm", 3}, {"pcgrad", 3}});
    for (const auto& r : plan.runs) {
        INFO(r.label());
        const Config& c = r.config.values;
        const bool sm4_like = r.variant.rfind("sm4", 0) == 0;
        const bool highmmt = r.variant.rfind("highmmt", 0) == 0;
        // Each ablation differs from SM4 in exactly its switch.
        CHECK(to_string(c.model.backbone) ==
              (sm4_like ? "sm4" : highmmt ? "highmmt" : r.variant == "smoe" ? "smoe" : "dense"));
        CHECK(to_string(c.model.attention_router) == (r.variant == "sm4-no-smoa" ? "none" : "single"));
        CHECK(to_string(c.model.ffn_router) == (r.variant == "sm4-no-smoe" ? "none" : "single"));
        // highmmt gets minibench's [method.highmmt] table: HighMMT's defaults (20 latents, pixels).
        CHECK(c.model.latents == (highmmt ? 20 : 12));
        // A single-task run keeps only its own task's rules (the tables have none); HighMMT with SM4's
        // token cuts takes its method table, then minibench's rules again.
        const bool ruled = r.variant != "highmmt" && (r.task.empty() || r.task == "fashion-mnist" || r.task == "digits-av");
        CHECK(c.model.token_rules.empty() == !ruled);
        if (r.variant == "highmmt-sm4-tokens") CHECK(c.model.fourier_bands == 8);
        CHECK(to_string(c.model.match_flops) == (r.variant == "dense-matched" ? "sm4" : "none"));
        CHECK(to_string(c.train.optimizer) == (highmmt ? "adam" : "adamw"));
        CHECK(to_string(c.train.sampling) == (highmmt ? "highmmt" : "round_robin"));
        CHECK(c.aea.enabled == (sm4_like && r.variant != "sm4-no-aea"));
        CHECK(c.pace.enabled == (sm4_like && r.variant != "sm4-no-alp"));
        CHECK(c.train.pcgrad == (r.variant == "pcgrad"));
        CHECK(c.data.tasks.size() == (r.variant == "single-task" ? 1u : 4u));
    }
}

TEST_CASE("sweep: experiments/methods.toml over a --base experiment gives minibench-ablation's variants",
          "[sweep][ablation]") {
    const std::string root = std::string(SM4_SOURCE_DIR) + "/experiments/";
    const SweepPlan ablation = make_sweep_plan(root + "minibench-ablation.toml", {});
    const SweepPlan methods =
        make_sweep_plan(root + "methods.toml", {}, {root + "small.toml"}, /*seeds=*/{7});
    CHECK(methods.name == "methods@small");
    std::vector<std::string> expected, found;
    for (const auto& r : ablation.runs)
        // the small group's SM4 token cuts are HighMMT's: highmmt-sm4-tokens would repeat highmmt
        if (r.seed == 0 && (r.task.empty() || r.task == "fashion-mnist") && r.variant != "highmmt-sm4-tokens")
            expected.push_back(r.variant);
    for (const auto& r : methods.runs) {
        INFO(r.label());
        CHECK(r.seed == 7);
        CHECK(r.config.sources.at("train.seed") == "--seeds");
        CHECK(r.config.values.data.tasks.size() == (r.variant == "single-task" ? 1u : 2u));  // small: push, vt
        CHECK(r.config.values.train.lr == 5e-4);  // from the base
        // Every method keeps small.toml's network; highmmt also takes its [method.highmmt] table.
        CHECK(r.config.values.model.num_experts == 16);
        const bool highmmt = r.variant.rfind("highmmt", 0) == 0;
        CHECK(r.config.values.model.modality_codes == (highmmt ? 13 : 0));
        CHECK(r.config.values.train.task_batch_sizes ==
              (highmmt ? std::vector<std::int64_t>{18, 64}
               : r.variant == "single-task" ? std::vector<std::int64_t>{r.task == "push" ? 28 : 64}
                                            : std::vector<std::int64_t>{28, 64}));
        if (r.task.empty() || r.task == "push") found.push_back(r.variant);
    }
    CHECK(found == expected);
    CHECK(methods.notes ==
          std::vector<std::string>{"variant 'highmmt-sm4-tokens': 1 run(s) left out, their configs are variant 'highmmt''s"});
    CHECK(make_sweep_plan(root + "methods.toml", {}, {root + "medium.toml"}, {7}).notes.empty());
}

TEST_CASE("sweep: experiments/ablation-experts.toml runs SM4 with 4, 8, 16 and 32 experts per group (Table 6)",
          "[sweep][ablation]") {
    const SweepPlan plan = make_sweep_plan(std::string(SM4_SOURCE_DIR) + "/experiments/ablation-experts.toml", {});
    REQUIRE(plan.runs.size() == 15u);  // and highmmt, Δ's reference
    const std::map<std::string, std::int64_t> experts{{"n4", 4}, {"n8", 8}, {"n16", 16}, {"n32", 32}};
    for (const auto& r : plan.runs) {
        INFO(r.label());
        if (r.variant == "highmmt") continue;
        const Config& c = r.config.values;
        REQUIRE(experts.count(r.variant) == 1u);
        CHECK(to_string(c.model.backbone) == "sm4");
        CHECK(c.model.num_experts == experts.at(r.variant));
        CHECK(c.aea.enabled);
        CHECK(c.pace.enabled);
        CHECK(c.model.modality_top_k == std::vector<std::int64_t>{1});
    }
}

TEST_CASE("sweep: the task-group experiments hold the paper's SM4 values (Tables 15-17) and HighMMT's in [method.highmmt]",
          "[sweep][ablation]") {
    const std::string root = std::string(SM4_SOURCE_DIR) + "/experiments/";
    struct Expected {
        std::int64_t latents, experts;
        double lr, balance;
        std::int64_t highmmt_latents;
    };
    const std::map<std::string, Expected> groups{{"small", {20, 16, 5e-4, 0.1, 20}},
                                                 {"medium", {12, 32, 1e-3, 0.05, 12}},
                                                 {"large", {12, 16, 8e-4, 0.1, 20}}};
    for (const auto& [group, e] : groups) {
        INFO(group);
        const SweepPlan plan = make_sweep_plan(root + "methods.toml", {}, {root + group + ".toml"}, {0});
        for (const auto& r : plan.runs) {
            if (r.variant != "sm4" && r.variant != "highmmt") continue;
            const Config& c = r.config.values;
            const bool sm4 = r.variant == "sm4";
            CHECK(c.model.latents == (sm4 ? e.latents : e.highmmt_latents));
            CHECK(c.model.num_experts == e.experts);
            CHECK(c.model.layers == 1);
            CHECK(c.model.heads == 8);
            CHECK(c.train.lr == e.lr);
            CHECK(c.model.balance_loss_weight == e.balance);
            CHECK(to_string(c.train.optimizer) == "adam");
            CHECK(c.train.epochs == (group == "large" && !sm4 ? 80 : 100));
        }
    }
}

namespace {

std::map<std::string, const SweepRun*> first_runs(const SweepPlan& plan) {
    std::map<std::string, const SweepRun*> out;
    for (const auto& r : plan.runs) out.emplace(r.variant, &r);
    return out;
}

std::vector<std::string> variant_order(const SweepPlan& plan) {
    std::vector<std::string> out;
    for (const auto& r : plan.runs)
        if (std::find(out.begin(), out.end(), r.variant) == out.end()) out.push_back(r.variant);
    return out;
}

}  // namespace

TEST_CASE("sweep: experiments/router-designs.toml holds Table 5's 16 router designs by the paper's names",
          "[sweep][paper]") {
    const std::string root = std::string(SM4_SOURCE_DIR) + "/experiments/";
    const SweepPlan plan = make_sweep_plan(root + "router-designs.toml", {});
    CHECK(plan.runs.size() == 51u);  // 16 designs and highmmt x 3 seeds, on minibench (its default_base)
    const auto runs = first_runs(plan);
    const std::map<std::string, std::pair<std::string, std::string>> designs{
        {"p-modality-router", {"modality", "modality"}},   {"multi-router", {"modality", "task"}},
        {"modality-smoa-single-smoe", {"modality", "single"}}, {"multi-router-no-smoe", {"modality", "none"}},
        {"r-multi-router", {"task", "modality"}},          {"p-task-router", {"task", "task"}},
        {"task-smoa-single-smoe", {"task", "single"}},     {"r-multi-router-no-smoe", {"task", "none"}},
        {"single-smoa-modality-smoe", {"single", "modality"}}, {"single-smoa-task-smoe", {"single", "task"}},
        {"sm4", {"single", "single"}},                     {"sm4-no-smoe", {"single", "none"}},
        {"r-multi-router-no-smoa", {"none", "modality"}},  {"multi-router-no-smoa", {"none", "task"}},
        {"sm4-no-smoa", {"none", "single"}}};
    REQUIRE(runs.size() == 17u);
    CHECK(to_string(runs.at("highmmt")->config.values.model.backbone) == "highmmt");
    for (const auto& [name, scopes] : designs) {
        INFO(name);
        REQUIRE(runs.count(name) == 1u);
        const ModelConfig& m = runs.at(name)->config.values.model;
        CHECK(to_string(m.backbone) == "sm4");
        CHECK(to_string(m.attention_router) == scopes.first);
        CHECK(to_string(m.ffn_router) == scopes.second);
        CHECK(runs.at(name)->config.values.aea.enabled);
        CHECK(m.latents == 12);  // minibench's network
    }
    CHECK(to_string(runs.at("dense")->config.values.model.backbone) == "dense");
    // over the medium group, with its 32 experts
    const SweepPlan medium = make_sweep_plan(root + "router-designs.toml", {}, {root + "medium.toml"}, {0});
    CHECK(medium.name == "router-designs@medium");
    CHECK(medium.runs.size() == 17u);
    for (const auto& r : medium.runs) CHECK(r.config.values.model.num_experts == 32);
}

TEST_CASE("sweep: experiments/paper-ablations.toml holds Tables 4 and 7's ablations, dense models and equal capacity",
          "[sweep][paper]") {
    const std::string root = std::string(SM4_SOURCE_DIR) + "/experiments/";
    const SweepPlan plan = make_sweep_plan(root + "paper-ablations.toml", {}, {root + "medium.toml"}, {0});
    CHECK(variant_order(plan) == std::vector<std::string>{"sm4", "sm4-no-smoa", "sm4-no-smoe", "dense-matched",
                                                          "dense-model-1", "dense-model-2", "equal-capacity",
                                                          "highmmt"});
    const auto runs = first_runs(plan);
    const ModelConfig& sm4 = runs.at("sm4")->config.values.model;
    const ModelConfig& deep = runs.at("dense-model-1")->config.values.model;
    CHECK(to_string(deep.backbone) == "dense");
    CHECK(deep.layers == 2 * sm4.layers);
    CHECK(deep.ffn_hidden == sm4.ffn_hidden);
    CHECK(runs.at("dense-model-1")->config.sources.at("model.layers") == root + "paper-ablations.toml:46 (x2)");
    CHECK(runs.at("dense-model-2")->config.values.model.ffn_hidden == 4 * 124);
    const ModelConfig& equal = runs.at("equal-capacity")->config.values.model;
    CHECK(equal.heads == 4 * sm4.heads);
    CHECK(equal.attention_head_dim == 8 * (sm4.d_model / sm4.heads));
    CHECK(equal.ffn_hidden == 32 * 124);
    CHECK(to_string(runs.at("dense-matched")->config.values.model.match_flops) == "sm4");
    CHECK(to_string(runs.at("highmmt")->config.values.model.backbone) == "highmmt");
    CHECK(runs.at("highmmt")->config.values.train.task_weights == std::vector<double>{1.0, 1.2, 1.0});
}

TEST_CASE("sweep: Tables 6, 8, 11 and 12 as experiment files over any group", "[sweep][paper]") {
    const std::string root = std::string(SM4_SOURCE_DIR) + "/experiments/";
    const SweepPlan layers_plan = make_sweep_plan(root + "sm4-layers.toml", {}, {root + "medium.toml"}, {0});
    const auto layers = first_runs(layers_plan);
    const std::map<std::string, std::pair<std::int64_t, std::vector<std::int64_t>>> expected{
        {"sm4", {1, {}}},          {"sm4-2-layers", {2, {1}}},       {"sm4-3-layers", {3, {1, 3}}},
        {"sm4-4-layers", {4, {1, 3}}}, {"p-sm4-2-layers", {2, {1, 2}}}, {"p-sm4-3-layers", {3, {1, 2, 3}}},
        {"p-sm4-4-layers", {4, {1, 2, 3, 4}}}, {"sm4-early-2", {4, {1, 2}}}, {"sm4-middle-2", {4, {2, 3}}},
        {"sm4-late-2", {4, {3, 4}}}};
    REQUIRE(layers.size() == expected.size() + 1);  // and highmmt, Δ's reference
    for (const auto& [name, shape] : expected) {
        INFO(name);
        CHECK(layers.at(name)->config.values.model.layers == shape.first);
        CHECK(layers.at(name)->config.values.model.sparse_layers == shape.second);
    }
    const SweepPlan experts_plan = make_sweep_plan(root + "ablation-experts.toml", {}, {root + "medium.toml"}, {0});
    const auto experts = first_runs(experts_plan);
    CHECK(experts.at("n4")->config.values.model.num_experts == 4);
    CHECK(experts.at("n32")->config.values.model.num_experts == 32);
    const SweepPlan fusion_plan = make_sweep_plan(root + "batch-fusion.toml", {}, {root + "medium.toml"}, {0});
    const auto fusion = first_runs(fusion_plan);
    CHECK(to_string(fusion.at("batch-fusion")->config.values.model.fusion) == "batch");
    CHECK(to_string(fusion.at("sm4")->config.values.model.fusion) == "sequence");
    const SweepPlan qkv_plan = make_sweep_plan(root + "qkv-router.toml", {}, {root + "medium.toml"}, {0});
    const auto qkv = first_runs(qkv_plan);
    CHECK(to_string(qkv.at("qkv-shared-router")->config.values.model.qkv_router) == "shared");
    CHECK(to_string(qkv.at("sm4")->config.values.model.qkv_router) == "separate");
}
