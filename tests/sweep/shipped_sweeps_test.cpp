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
    CHECK(runs == std::map<std::string, int>{{"sm4", 3}, {"sm4-no-disentangle", 3}, {"sm4-no-aea", 3},
                                             {"sm4-no-alp", 3}, {"dense", 3}, {"smoe", 3}, {"highmmt", 3},
                                             {"dense-matched", 3}, {"single-task", 12},
                                             {"uncertainty", 3}, {"dwa", 3}, {"gradnorm", 3}, {"pcgrad", 3}});
    for (const auto& r : plan.runs) {
        INFO(r.label());
        const Config& c = r.config.values;
        const bool sm4_like = r.variant.rfind("sm4", 0) == 0;
        // Each ablation differs from SM4 in exactly its switch.
        CHECK(to_string(c.model.backbone) == (r.variant == "sm4-no-disentangle" ? "smoe"
                                   : sm4_like                         ? "sm4"
                                   : r.variant == "smoe"              ? "smoe"
                                   : r.variant == "highmmt"           ? "highmmt"
                                                                      : "dense"));
        CHECK(to_string(c.model.match_flops) == (r.variant == "dense-matched" ? "sm4" : "none"));
        CHECK(to_string(c.train.optimizer) == (r.variant == "highmmt" ? "adam" : "adamw"));
        CHECK(to_string(c.train.sampling) == (r.variant == "highmmt" ? "highmmt" : "round_robin"));
        // dense-matched sizes itself against SM4 as AEA allocates it.
        CHECK(c.aea.enabled == ((sm4_like && r.variant != "sm4-no-aea") || r.variant == "dense-matched"));
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
        // SM4 and its ablations keep small.toml's attention-head experts; the baselines drop them.
        const bool sm4_like = r.variant.rfind("sm4", 0) == 0;
        // (dense-matched keeps them: model.match_flops sizes it against them, then drops them.)
        CHECK(r.config.values.model.attention_experts == (sm4_like || r.variant == "dense-matched" ? 16 : 0));
        if (r.task.empty() || r.task == "push") found.push_back(r.variant);
    }
    CHECK(found == expected);
}

TEST_CASE("sweep: experiments/ablation-experts.toml runs SM4 with 4, 8, 16 and 32 experts, AEA spending N",
          "[sweep][ablation]") {
    const SweepPlan plan = make_sweep_plan(std::string(SM4_SOURCE_DIR) + "/experiments/ablation-experts.toml", {});
    REQUIRE(plan.runs.size() == 12u);
    const std::map<std::string, std::int64_t> experts{{"n4", 4}, {"n8", 8}, {"n16", 16}, {"n32", 32}};
    for (const auto& r : plan.runs) {
        INFO(r.label());
        const Config& c = r.config.values;
        REQUIRE(experts.count(r.variant) == 1u);
        const std::int64_t n = experts.at(r.variant);
        CHECK(to_string(c.model.backbone) == "sm4");
        CHECK(to_string(c.model.group_by) == "kind");
        CHECK(c.model.num_experts == n);
        CHECK(c.aea.enabled);
        CHECK(c.pace.enabled);
        CHECK(c.aea.budget == n);
        // The largest candidate for each of the 3 kinds can spend the whole budget.
        CHECK(c.aea.candidates.back() * 3 >= n);
        CHECK(c.aea.candidates.front() >= 1);
        CHECK(c.model.top_k == 2);
    }
}
