// The expert groups against their definitions (3.1-3.2, Eq. 1-3): the gate is the top-k of the
// full softmax, each token of modality m reaches exactly k_m experts in every group of an SM4
// layer, the router networks are as many as their scope says, the mixture equals the dense
// mixture it approximates, capacity and the balance loss behave as stated.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <set>

#include "model/layers/transformer_layer.h"
#include "model/moe/sparse_feed_forward.h"
#include "model/moe/top_k_gating.h"

using namespace sm4;

namespace {

// Tokens of `slots` modality slots in equal blocks, slot j activating k[j] experts.
TokenRouting routing_of(std::int64_t tokens, const std::vector<std::int64_t>& k) {
    TokenRouting r;
    const auto slots = static_cast<std::int64_t>(k.size());
    r.slot = at::floor_divide(at::arange(tokens, at::kLong) * slots, tokens);
    r.k = at::tensor(k, at::kLong).index_select(0, r.slot);
    r.k_max = *std::max_element(k.begin(), k.end());
    r.uniform_k = std::all_of(k.begin(), k.end(), [&](std::int64_t v) { return v == r.k_max; });
    for (std::int64_t j = 0; j < slots; ++j) r.slots.push_back(j);
    r.local_slot = r.slot;
    return r;
}

RouterSettings router_settings(std::int64_t experts, bool noisy, bool renormalize = false) {
    RouterSettings s;
    s.d_model = 8;
    s.experts = experts;
    s.noisy = noisy;
    s.renormalize = renormalize;
    return s;
}

SparseFeedForward make_moe(std::int64_t experts, double capacity_factor, std::int64_t slots = 1) {
    at::manual_seed(7);
    SparseFeedForwardSettings s{router_settings(experts, false), 16, capacity_factor};
    SparseFeedForward moe(s, slots);
    torch::NoGradGuard no_grad;
    moe->router->weight.normal_(0.0, 1.0);  // a router with opinions
    return moe;
}

}  // namespace

TEST_CASE("moe: the gates are the chosen experts' entries of the full softmax (Eq. 1-2), by hand", "[model][moe]") {
    // Logits [1, 3, 0, 2] for one token, k 2: experts 1 and 3, gates softmax(all)[1] and [3].
    const at::Tensor logits = at::tensor({1.0f, 3.0f, 0.0f, 2.0f}).view({1, 4});
    const double z = std::exp(1.0) + std::exp(3.0) + 1.0 + std::exp(2.0);
    for (const bool fused : {true, false}) {
        INFO((fused ? "fused kernel" : "op-by-op"));
        GatingInput in{logits, at::Tensor(), at::tensor({2}, at::kLong), 2, at::Tensor(), 1, false};
        const Gating g = fused ? fused_top_k_gating(in) : top_k_gating_reference(in);
        CHECK(at::equal(g.indices, at::tensor({1, 3}, at::kLong).view({1, 2})));
        CHECK(g.weights[0][0].item<double>() == Approx(std::exp(3.0) / z));
        CHECK(g.weights[0][1].item<double>() == Approx(std::exp(2.0) / z));
        // model.gate = "renormalized": a softmax over the two chosen logits.
        in.renormalize = true;
        const Gating r = fused ? fused_top_k_gating(in) : top_k_gating_reference(in);
        CHECK(r.weights[0][0].item<double>() == Approx(std::exp(3.0) / (std::exp(3.0) + std::exp(2.0))));
    }
}

TEST_CASE("moe: with k = N and no capacity limit it equals the dense mixture, gradients too", "[model][moe]") {
    SparseFeedForward moe = make_moe(4, 0.0);
    const at::Tensor x = at::randn({10, 8}).requires_grad_(true);
    const at::Tensor probe = at::randn({10, 8});
    const TokenRouting routing = routing_of(10, {4});

    const at::Tensor sparse = moe->forward(x, routing);
    const auto sparse_grads = torch::autograd::grad({(sparse * probe).sum()}, {x, moe->experts->w1, moe->router->weight});

    // The naive mixture: every expert on every token, weighted by the router's softmax.
    const at::Tensor gates = at::softmax(at::linear(x, moe->router->weight[0]), 1);
    at::Tensor dense = at::zeros_like(x);
    for (std::int64_t e = 0; e < 4; ++e) dense = dense + gates.select(1, e).unsqueeze(1) * moe->experts->expert(e, x);
    const auto dense_grads = torch::autograd::grad({(dense * probe).sum()}, {x, moe->experts->w1, moe->router->weight});

    CHECK(at::allclose(sparse, dense, 1e-5, 1e-6));
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("gradient " << i);
        CHECK(at::allclose(sparse_grads[i], dense_grads[i], 1e-4, 1e-6));
    }
}

TEST_CASE("moe: a token of modality m reaches exactly k_m experts in each of the 4 groups of an SM4 layer", "[model][moe]") {
    ModelConfig c;
    c.backbone = Backbone::Sm4;
    c.d_model = 8;
    c.heads = 2;
    c.num_experts = 6;
    c.dropout = 0;
    at::manual_seed(5);
    TransformerLayer layer(c, /*sparse=*/true, /*slots=*/3, /*tasks=*/1);
    {
        torch::NoGradGuard no_grad;
        for (auto& p : layer->parameters()) p.normal_();  // routers with opinions
    }
    const std::vector<std::int64_t> k = {1, 3, 2};
    const std::int64_t batch = 4, tokens = 6;  // 6 tokens per example: 2 of each slot
    TokenRouting routing;
    const at::Tensor per_example = at::tensor({0, 0, 1, 1, 2, 2}, at::kLong);
    routing.slot = per_example.repeat({batch});
    routing.k = at::tensor(k, at::kLong).index_select(0, routing.slot);
    routing.k_max = 3;
    routing.uniform_k = false;
    routing.slots = {0, 1, 2};
    routing.local_slot = routing.slot;
    layer->train();
    layer->forward(at::randn({batch, tokens, 8}), routing);
    std::vector<const DispatchPlan*> plans = {&layer->smoa->last_plans[0], &layer->smoa->last_plans[1],
                                              &layer->smoa->last_plans[2], &layer->smoe->last_plan};
    for (std::size_t g = 0; g < plans.size(); ++g) {
        INFO("group " << g);
        const DispatchPlan& plan = *plans[g];
        std::vector<std::set<std::int64_t>> experts_of(batch * tokens);
        for (std::int64_t i = 0; i < plan.tokens.size(0); ++i)
            experts_of[plan.tokens[i].item<std::int64_t>()].insert(plan.experts[i].item<std::int64_t>());
        for (std::int64_t t = 0; t < batch * tokens; ++t)
            CHECK(static_cast<std::int64_t>(experts_of[t].size()) == k[routing.slot[t].item<std::int64_t>()]);
    }
}

TEST_CASE("moe: one router network per group with scope single, one per slot or task otherwise", "[model][moe]") {
    ModelConfig c;
    c.backbone = Backbone::Sm4;
    c.d_model = 8;
    c.heads = 2;
    auto routers = [&](RouterScope scope, QkvRouting qkv) {
        c.attention_router = c.ffn_router = scope;
        c.qkv_router = qkv;
        TransformerLayer layer(c, true, /*slots=*/5, /*tasks=*/2);
        std::vector<std::int64_t> networks;
        for (const auto& r : layer->smoa->routers) networks.push_back(r->networks());
        networks.push_back(layer->smoe->router->networks());
        return networks;
    };
    CHECK(routers(RouterScope::Single, QkvRouting::Separate) == std::vector<std::int64_t>{1, 1, 1, 1});  // 4 routers
    CHECK(routers(RouterScope::Modality, QkvRouting::Separate) == std::vector<std::int64_t>{5, 5, 5, 5});
    CHECK(routers(RouterScope::Task, QkvRouting::Separate) == std::vector<std::int64_t>{2, 2, 2, 2});
    CHECK(routers(RouterScope::Single, QkvRouting::Shared) == std::vector<std::int64_t>{1, 1});  // Table 12's variant
    c.attention_router = RouterScope::None;
    c.ffn_router = RouterScope::Single;
    TransformerLayer without_smoa(c, true, 5, 2);
    CHECK(without_smoa->attention);
    CHECK(!without_smoa->smoa);
}

TEST_CASE("moe: dropping keeps each expert within capacity, highest-priority tokens first", "[model][moe]") {
    // Every token prefers expert 0; its top-1 weight grows with the token index.
    const std::int64_t tokens = 8;
    at::Tensor indices = at::zeros({tokens, 1}, at::kLong);
    at::Tensor weights = at::linspace(0.1, 0.9, tokens).unsqueeze(1);
    const std::int64_t capacity = expert_capacity(1.0, tokens, 4);  // ceil(8 / 4) = 2
    CHECK(capacity == 2);
    const DispatchPlan plan = plan_dispatch(indices, weights, 4, capacity);
    CHECK(plan.counts == std::vector<std::int64_t>{2, 0, 0, 0});
    CHECK(plan.dropped == 6);
    CHECK(std::set<std::int64_t>{plan.tokens[0].item<std::int64_t>(), plan.tokens[1].item<std::int64_t>()} ==
          std::set<std::int64_t>{6, 7});

    // Mixed k under a capacity: every kept block within it, every assignment kept or dropped.
    SparseFeedForward moe = make_moe(4, 0.5, /*slots=*/2);
    const at::Tensor x = at::randn({40, 8});
    const TokenRouting routing = routing_of(40, {1, 3});
    moe->forward(x, routing);
    const std::int64_t limit = expert_capacity(0.5, 20 * 1 + 20 * 3, 4);  // 10
    for (auto count : moe->last_plan.counts) CHECK(count <= limit);
    CHECK(moe->last_plan.tokens.size(0) + moe->last_plan.dropped == 80);
}

TEST_CASE("moe: per-expert capacities are enforced on flat assignments, by priority", "[model][moe]") {
    Assignments a;
    a.tokens = at::arange(6, at::kLong);
    a.experts = at::tensor({0, 1, 0, 1, 0, 1}, at::kLong);
    a.weights = at::ones({6});
    a.priority = at::tensor({0.1f, 0.2f, 0.9f, 0.4f, 0.5f, 0.3f});
    const DispatchPlan plan = plan_assignments(a, 2, at::tensor({1, 2}, at::kLong));
    CHECK(plan.counts == std::vector<std::int64_t>{1, 2});
    CHECK(plan.dropped == 3);
    CHECK(at::equal(plan.tokens, at::tensor({2, 3, 5}, at::kLong)));  // expert 0: token 2; expert 1: tokens 3, 5
    CHECK(at::equal(plan.experts, at::tensor({0, 1, 1}, at::kLong)));
}

TEST_CASE("moe: the balance loss is cv^2(importance) + cv^2(load) per router, by hand", "[model][moe]") {
    RouterSettings s = router_settings(2, /*noisy=*/false);
    s.d_model = 2;
    ExpertRouter router(s);
    {
        torch::NoGradGuard no_grad;
        router->weight[0].copy_(at::eye(2));  // logits = x
    }
    // Tokens 0-2 pick expert 0, token 3 expert 1, k 1; gates are the full softmax's entries.
    const at::Tensor x = at::tensor({2.0f, 0.0f, 3.0f, 1.0f, 1.0f, 0.5f, 0.0f, 2.0f}).view({4, 2});
    const RouterOutput out = router->forward(x, routing_of(4, {1}));
    CHECK(at::equal(out.indices.squeeze(1), at::tensor({0, 0, 0, 1}, at::kLong)));
    const at::Tensor p = at::softmax(x, 1);
    const double i0 = (p[0][0] + p[1][0] + p[2][0]).item<double>(), i1 = p[3][1].item<double>();
    const auto cv2 = [](double a, double b) {
        const double mean = (a + b) / 2, var = (a - mean) * (a - mean) + (b - mean) * (b - mean);  // unbiased, n = 2
        return var / (mean * mean);
    };
    // importance [i0, i1]; load [3, 1] (counts without noise): cv^2 0.5.
    CHECK(out.balance_loss.item<double>() == Approx(cv2(i0, i1) + 0.5).epsilon(1e-5));
    const double z = (std::pow(std::log(std::exp(2.0) + 1.0), 2) + std::pow(std::log(std::exp(3.0) + std::exp(1.0)), 2) +
                      std::pow(std::log(std::exp(1.0) + std::exp(0.5)), 2) + std::pow(std::log(1.0 + std::exp(2.0)), 2)) / 4;
    CHECK(out.z_loss.item<double>() == Approx(z).epsilon(1e-5));

    // With one network per slot each router's balance is its own: two slots of two tokens, each
    // slot's router sending both to one expert (slot 0 to expert 0, slot 1 to expert 1). Each
    // router's importance and load sit on one of two experts: cv^2 = 2 each, 8 in all (one
    // router over all four tokens would see importance and load split evenly: 0 for the load).
    s.scope = RouterScope::Modality;
    s.slots = 2;
    ExpertRouter per_slot(s);
    {
        torch::NoGradGuard no_grad;
        per_slot->weight[0].copy_(at::tensor({1.0f, 0.0f, 0.0f, 0.0f}).view({2, 2}));  // slot 0 -> expert 0
        per_slot->weight[1].copy_(at::tensor({0.0f, 0.0f, 1.0f, 0.0f}).view({2, 2}));  // slot 1 -> expert 1
    }
    const at::Tensor positive = at::tensor({1.0f, 0.0f, 2.0f, 0.0f, 1.0f, 0.0f, 3.0f, 0.0f}).view({4, 2});
    const RouterOutput scoped = per_slot->forward(positive, routing_of(4, {1, 1}));
    CHECK(at::equal(scoped.indices.squeeze(1), at::tensor({0, 0, 1, 1}, at::kLong)));
    CHECK(scoped.balance_loss.item<double>() == Approx(8.0).epsilon(1e-6));
}

TEST_CASE("moe: noisy gating adds noise only while training and keeps the load estimate differentiable",
          "[model][moe]") {
    at::manual_seed(3);
    ExpertRouter router(router_settings(4, /*noisy=*/true));
    {
        torch::NoGradGuard no_grad;
        router->weight.normal_();
    }
    const at::Tensor x = at::randn({16, 8});
    const TokenRouting routing = routing_of(16, {2});
    router->eval();
    CHECK(at::equal(router->forward(x, routing).indices, router->forward(x, routing).indices));
    router->train();
    const RouterOutput noisy = router->forward(x, routing);
    noisy.balance_loss.backward();
    const at::Tensor noise_rows = router->weight.grad()[0].narrow(0, 4, 4);
    CHECK(noise_rows.abs().sum().item<double>() > 0);
}
