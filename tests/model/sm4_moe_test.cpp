// SM4's disentangled MoE: groups, routing confined to a modality's group, and its equivalence
// to the vanilla MoE when there is a single group.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "core/errors.h"
#include "model/sm4_moe.h"

using namespace sm4;
using Catch::Matchers::Contains;

namespace {

std::vector<TaskSpec> three_slots() {
    // Slots: a/image, b/image, b/audio.
    return {{"a", TaskType::Classification, 10, {{"image", "image", {1, 8, 8}}}},
            {"b", TaskType::Classification, 10, {{"image", "image", {1, 8, 8}}, {"audio", "audio", {1, 32, 32}}}}};
}

}  // namespace

TEST_CASE("sm4 groups: one per modality slot or per kind, sizes split evenly or given", "[model][sm4]") {
    ModelConfig c;
    c.num_experts = 8;
    ExpertGroups by_slot = make_expert_groups(three_slots(), c);
    CHECK(by_slot.names == std::vector<std::string>{"a/image", "b/image", "b/audio"});
    CHECK(by_slot.experts == std::vector<std::int64_t>{3, 3, 2});
    CHECK(by_slot.group_of_slot == std::vector<std::int64_t>{0, 1, 2});

    c.group_by = GroupBy::Kind;
    c.shared_experts = 2;
    ExpertGroups by_kind = make_expert_groups(three_slots(), c);
    CHECK(by_kind.names == std::vector<std::string>{"image", "audio"});
    CHECK(by_kind.group_of_slot == std::vector<std::int64_t>{0, 0, 1});
    CHECK(by_kind.experts == std::vector<std::int64_t>{4, 4});
    CHECK(by_kind.total() == 10);
    CHECK(by_kind.shared_offset() == 8);

    c.group_experts = {1, 2, 3};
    CHECK_THROWS_WITH(make_expert_groups(three_slots(), c), Contains("model.group_experts has 3 sizes for the 2 expert groups"));
    c.group_experts = {};
    c.group_by = GroupBy::Modality;
    c.num_experts = 2;
    CHECK_THROWS_WITH(make_expert_groups(three_slots(), c), Contains("model.num_experts (2) is smaller than the 3 expert groups"));
}

TEST_CASE("sm4 moe: a token is never dispatched outside its modality's group and the shared experts", "[model][sm4]") {
    at::manual_seed(5);
    ModelConfig c;
    c.group_experts = {2, 3, 1};
    c.shared_experts = 2;
    const ExpertGroups groups = make_expert_groups(three_slots(), c);
    Sm4Moe moe(MoeSettings{8, 16, 0, 2, 1.0, /*noisy_gating=*/true}, groups, 3);
    {
        torch::NoGradGuard no_grad;
        for (auto& router : moe->router->routers) router->gate->weight.normal_();
    }
    moe->train();
    const at::Tensor slots = at::randint(0, 3, {60}, at::kLong);
    const at::Tensor x = at::randn({60, 8});
    const at::Tensor out = moe->forward(x, slots);
    CHECK(out.sizes() == x.sizes());

    const DispatchPlan& plan = moe->last_plan;
    REQUIRE(plan.tokens.size(0) > 0);
    std::vector<int> shared_used(2);
    for (std::int64_t i = 0; i < plan.tokens.size(0); ++i) {
        const auto token = plan.tokens[i].item<std::int64_t>();
        const auto expert = plan.experts[i].item<std::int64_t>();
        const auto group = static_cast<std::size_t>(groups.group_of_slot[static_cast<std::size_t>(slots[token].item<std::int64_t>())]);
        const bool own = expert >= groups.offset(group) && expert < groups.offset(group) + groups.experts[group];
        const bool shared = expert >= groups.shared_offset();
        INFO("token " << token << " of group " << group << " went to expert " << expert);
        CHECK((own || shared));
        if (shared) ++shared_used[static_cast<std::size_t>(expert - groups.shared_offset())];
    }
    CHECK(shared_used[0] + shared_used[1] > 0);
}

TEST_CASE("sm4 moe: its balance loss is the sum of every group router's own", "[model][sm4]") {
    at::manual_seed(6);
    ModelConfig c;
    c.group_experts = {3, 2, 2};
    const ExpertGroups groups = make_expert_groups(three_slots(), c);
    Sm4Moe moe(MoeSettings{8, 16, 0, 1, 0.0, /*noisy_gating=*/false}, groups, 3);
    {
        torch::NoGradGuard no_grad;
        for (auto& router : moe->router->routers) router->gate->weight.normal_();
    }
    const at::Tensor slots = at::tensor({0, 0, 0, 1, 1, 1, 1, 2, 2, 2}, at::kLong);
    const at::Tensor x = at::randn({10, 8});
    moe->forward(x, slots);
    double expected = 0.0;
    for (std::int64_t g = 0; g < 3; ++g) {
        const at::Tensor members = slots.eq(g).nonzero().squeeze(1);
        expected += moe->router->routers[static_cast<std::size_t>(g)]->forward(x.index_select(0, members)).balance_loss.item<double>();
    }
    CHECK(moe->aux_loss.item<double>() == Approx(expected));
}

TEST_CASE("sm4 moe: with one group and no shared experts it is the vanilla MoE", "[model][sm4]") {
    at::manual_seed(8);
    MoeSettings settings{8, 16, 4, 2, 1.25, /*noisy_gating=*/false};
    MoeFeedForward vanilla(settings, 1);
    ExpertGroups one;
    one.names = {"all"};
    one.group_of_slot = {0};
    one.experts = {4};
    Sm4Moe grouped(settings, one, 1);
    {
        torch::NoGradGuard no_grad;
        vanilla->router->gate->weight.normal_();
        grouped->router->routers[0]->gate->weight.copy_(vanilla->router->gate->weight);
        for (const char* name : {"w1", "b1", "w2", "b2"})
            grouped->banks[0]->named_parameters()[name].copy_(vanilla->experts->named_parameters()[name]);
    }
    const at::Tensor x = at::randn({40, 8});
    const at::Tensor slots = at::zeros({40}, at::kLong);
    CHECK(at::allclose(grouped->forward(x, slots), vanilla->forward(x, slots), 1e-6, 1e-6));
}
