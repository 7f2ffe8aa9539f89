// The sweep files shipped in experiments/ expand into the runs their comments promise.
#include <catch.hpp>

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
                                             {"dense-matched", 3}, {"single-task", 12},
                                             {"uncertainty", 3}, {"dwa", 3}, {"gradnorm", 3}, {"pcgrad", 3}});
    for (const auto& r : plan.runs) {
        INFO(r.label());
        const Config& c = r.config.values;
        const bool sm4_like = r.variant.rfind("sm4", 0) == 0;
        // Each ablation differs from SM4 in exactly its switch.
        CHECK(to_string(c.model.backbone) == (sm4_like ? "sm4" : r.variant == "highmmt" ? "highmmt" : "dense"));
        CHECK(to_string(c.model.attention_router) == (r.variant == "sm4-no-smoa" ? "none" : "single"));
        CHECK(to_string(c.model.ffn_router) == (r.variant == "sm4-no-smoe" ? "none" : "single"));
        // highmmt gets minibench's [method.highmmt] table: HighMMT's defaults (20 latents, pixels).
        CHECK(c.model.latents == (r.variant == "highmmt" ? 20 : 12));
        // A single-task run keeps only its own task's rules (the tables have none).
        const bool ruled = r.variant != "highmmt" && (r.task.empty() || r.task == "fashion-mnist" || r.task == "digits-av");
        CHECK(c.model.token_rules.empty() == !ruled);
        CHECK(to_string(c.model.match_flops) == (r.variant == "dense-matched" ? "sm4" : "none"));
        CHECK(to_string(c.train.optimizer) == (r.variant == "highmmt" ? "adam" : "adamw"));
        CHECK(to_string(c.train.sampling) == (r.variant == "highmmt" ? "highmmt" : "round_robin"));
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
        if (r.seed == 0 && (r.task.empty() || r.task == "fashion-mnist")) expected.push_back(r.variant);
    for (const auto& r : methods.runs) {
        INFO(r.label());
        CHECK(r.seed == 7);
        CHECK(r.config.sources.at("train.seed") == "--seeds");
        CHECK(r.config.values.data.tasks.size() == (r.variant == "single-task" ? 1u : 2u));  // small: push, vt
        CHECK(r.config.values.train.lr == 5e-4);  // from the base
        // Every method keeps small.toml's network; highmmt also takes its [method.highmmt] table.
        CHECK(r.config.values.model.num_experts == 16);
        CHECK(r.config.values.model.modality_codes == (r.variant == "highmmt" ? 13 : 0));
        CHECK(r.config.values.train.task_batch_sizes ==
              (r.variant == "highmmt" ? std::vector<std::int64_t>{18, 64}
               : r.variant == "single-task" ? std::vector<std::int64_t>{r.task == "push" ? 28 : 64}
                                            : std::vector<std::int64_t>{28, 64}));
        if (r.task.empty() || r.task == "push") found.push_back(r.variant);
    }
    CHECK(found == expected);
}

TEST_CASE("sweep: experiments/ablation-experts.toml runs SM4 with 4, 8, 16 and 32 experts per group (Table 6)",
          "[sweep][ablation]") {
    const SweepPlan plan = make_sweep_plan(std::string(SM4_SOURCE_DIR) + "/experiments/ablation-experts.toml", {});
    REQUIRE(plan.runs.size() == 12u);
    const std::map<std::string, std::int64_t> experts{{"n4", 4}, {"n8", 8}, {"n16", 16}, {"n32", 32}};
    for (const auto& r : plan.runs) {
        INFO(r.label());
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
