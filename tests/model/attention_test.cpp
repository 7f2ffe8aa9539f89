// The mixture of attention heads against its definition.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "model/attention.h"

using namespace sm4;

TEST_CASE("mixture of heads: with k = E it equals the gate-weighted sum of every head", "[model][attention]") {
    at::manual_seed(11);
    const std::int64_t batch = 3, tokens = 5, d = 8, heads = 2, experts = 3;
    MixtureOfHeads moa(d, heads, single_group(1, experts), experts, /*noisy=*/false);
    {
        torch::NoGradGuard no_grad;
        moa->router->routers[0]->gate->weight.normal_();
    }
    const at::Tensor x = at::randn({batch, tokens, d});
    const at::Tensor out = moa->forward(x, at::zeros({batch * tokens}, at::kLong));

    const std::int64_t hd = d / heads;
    const at::Tensor kv = moa->kv(x);
    const at::Tensor k = kv.narrow(2, 0, hd), v = kv.narrow(2, hd, hd);
    const at::Tensor gates = at::softmax(moa->router->routers[0]->gate(x), -1);  // [batch, tokens, experts]
    at::Tensor expected = at::zeros_like(x);
    for (std::int64_t e = 0; e < experts; ++e) {
        const at::Tensor q = at::matmul(x, moa->query_weight(e));                                   // [b, t, hd]
        const at::Tensor attention = at::softmax(at::matmul(q, k.transpose(1, 2)) / std::sqrt(double(hd)), -1);
        const at::Tensor head = at::matmul(at::matmul(attention, v), moa->output_weight(e));        // [b, t, d]
        expected = expected + gates.select(2, e).unsqueeze(2) * head;
    }
    CHECK(at::allclose(out, expected, 1e-5, 1e-6));
}

TEST_CASE("mixture of heads: with k < E each token uses only its top-k heads", "[model][attention]") {
    at::manual_seed(12);
    MixtureOfHeads moa(8, 2, single_group(1, 4), 1, /*noisy=*/false);
    {
        torch::NoGradGuard no_grad;
        moa->router->routers[0]->gate->weight.normal_();
    }
    const at::Tensor x = at::randn({1, 2, 8});  // 2 tokens, 4 heads, top-1: 2+ heads unchosen
    const at::Tensor out = moa->forward(x, at::zeros({2}, at::kLong));
    // Zeroing the output projection of every head no token chose leaves the result unchanged.
    const at::Tensor chosen = std::get<1>(moa->router->routers[0]->gate(x.reshape({2, 8})).topk(1, 1)).reshape({-1});
    int unchosen = 0;
    {
        torch::NoGradGuard no_grad;
        for (std::int64_t e = 0; e < 4; ++e)
            if (!chosen.eq(e).any().item<bool>()) moa->output_weight(e).zero_(), ++unchosen;
    }
    REQUIRE(unchosen > 0);
    CHECK(at::allclose(moa->forward(x, at::zeros({2}, at::kLong)), out));
    // ...while zeroing a chosen head changes it.
    {
        torch::NoGradGuard no_grad;
        moa->output_weight(chosen[0].item<std::int64_t>()).zero_();
    }
    CHECK_FALSE(at::allclose(moa->forward(x, at::zeros({2}, at::kLong)), out));
}

TEST_CASE("mixture of heads, SM4 groups: a token only reaches its modality's head experts", "[model][attention][sm4]") {
    at::manual_seed(13);
    ExpertGroups groups;  // slot 0 -> group 0 (heads 0-2), slots 1 and 2 -> group 1 (heads 3-4)
    groups.names = {"a", "b"};
    groups.group_of_slot = {0, 1, 1};
    groups.experts = {3, 2};
    MixtureOfHeads moa(8, 2, groups, 2, /*noisy=*/true);
    moa->train();
    REQUIRE(moa->router->routers.size() == 2);
    const std::int64_t batch = 4, tokens = 6;
    const at::Tensor slot_of_token = at::tensor(std::vector<std::int64_t>{0, 0, 1, 2, 1, 0}, at::kLong).repeat({batch});
    const at::Tensor out = moa->forward(at::randn({batch, tokens, 8}), slot_of_token);
    CHECK(out.sizes() == at::IntArrayRef({batch, tokens, 8}));
    const at::Tensor token_group = at::tensor(groups.group_of_slot, at::kLong).index_select(0, slot_of_token);
    const at::Tensor expert_group = moa->last_plan.experts.ge(3).to(at::kLong);
    CHECK(moa->last_plan.tokens.size(0) == batch * tokens * 2);  // top-2, no capacity limit
    CHECK(token_group.index_select(0, moa->last_plan.tokens).equal(expert_group));
    // The groups' head projections are separate parameters (so ALP can pace them apart).
    CHECK(moa->w_query.size() == 2);
    CHECK(moa->w_query[1].size(0) == 2);
}
