// The sparse MoE layer against its definition: the dense mixture it approximates, the top-k it
// promises, the capacity it enforces and the balance loss it reports.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <set>

#include "model/moe_feed_forward.h"

using namespace sm4;

namespace {

MoeFeedForward make_moe(std::int64_t experts, std::int64_t k, double capacity_factor) {
    at::manual_seed(7);
    MoeSettings settings{8, 16, experts, k, capacity_factor, /*noisy_gating=*/false};
    MoeFeedForward moe(settings, 1);
    torch::NoGradGuard no_grad;
    moe->router->gate->weight.normal_(0.0, 1.0);  // a router with opinions
    return moe;
}

at::Tensor no_slots(std::int64_t tokens) { return at::zeros({tokens}, at::kLong); }

}  // namespace

TEST_CASE("moe: with k = N and no capacity limit it equals the dense mixture, gradients too", "[model][moe]") {
    MoeFeedForward moe = make_moe(4, 4, 0.0);
    const at::Tensor x = at::randn({10, 8}).requires_grad_(true);
    const at::Tensor probe = at::randn({10, 8});

    const at::Tensor sparse = moe->forward(x, no_slots(10));
    const at::Tensor sparse_loss = (sparse * probe).sum();
    const auto sparse_grads = torch::autograd::grad({sparse_loss}, {x, moe->experts->w1, moe->router->gate->weight});

    // The naive mixture: every expert on every token, weighted by the router's softmax.
    const at::Tensor gates = at::softmax(moe->router->gate(x), 1);
    at::Tensor dense = at::zeros_like(x);
    for (std::int64_t e = 0; e < 4; ++e) dense = dense + gates.select(1, e).unsqueeze(1) * moe->experts->expert(e, x);
    const at::Tensor dense_loss = (dense * probe).sum();
    const auto dense_grads = torch::autograd::grad({dense_loss}, {x, moe->experts->w1, moe->router->gate->weight});

    CHECK(at::allclose(sparse, dense, 1e-5, 1e-6));
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("gradient " << i);
        CHECK(at::allclose(sparse_grads[i], dense_grads[i], 1e-4, 1e-6));
    }
}

TEST_CASE("moe: each token is dispatched to exactly its top-k experts with renormalised weights", "[model][moe]") {
    MoeFeedForward moe = make_moe(6, 2, 0.0);
    const at::Tensor x = at::randn({12, 8});
    const RouterOutput routing = moe->router->forward(x);
    const at::Tensor expected = std::get<1>(moe->router->gate(x).topk(2, 1));
    CHECK(at::equal(routing.indices, expected));
    CHECK(at::allclose(routing.weights.sum(1), at::ones({12})));

    const DispatchPlan plan = plan_dispatch(routing.indices, routing.weights, 6, expert_capacity(0.0, 12, 2, 6));
    REQUIRE(plan.tokens.size(0) == 24);
    std::vector<std::set<std::int64_t>> experts_of(12);
    std::int64_t start = 0;
    for (std::int64_t e = 0; e < 6; ++e) {
        for (std::int64_t i = start; i < start + plan.counts[e]; ++i) experts_of[plan.tokens[i].item<std::int64_t>()].insert(e);
        start += plan.counts[e];
    }
    for (std::int64_t t = 0; t < 12; ++t)
        CHECK(experts_of[t] == std::set<std::int64_t>{expected[t][0].item<std::int64_t>(), expected[t][1].item<std::int64_t>()});
}

TEST_CASE("moe: dropping keeps each expert within capacity, highest-priority tokens first", "[model][moe]") {
    // Every token prefers expert 0; its top-1 weight grows with the token index.
    const std::int64_t tokens = 8;
    at::Tensor indices = at::zeros({tokens, 1}, at::kLong);
    at::Tensor weights = at::linspace(0.1, 0.9, tokens).unsqueeze(1);
    const std::int64_t capacity = expert_capacity(1.0, tokens, 1, 4);  // ceil(8 * 1 / 4) = 2
    CHECK(capacity == 2);
    const DispatchPlan plan = plan_dispatch(indices, weights, 4, capacity);
    CHECK(plan.counts == std::vector<std::int64_t>{2, 0, 0, 0});
    CHECK(plan.dropped == 6);
    CHECK(std::set<std::int64_t>{plan.tokens[0].item<std::int64_t>(), plan.tokens[1].item<std::int64_t>()} ==
          std::set<std::int64_t>{6, 7});

    MoeFeedForward moe = make_moe(4, 2, 0.5);
    const at::Tensor x = at::randn({40, 8});
    const RouterOutput routing = moe->router->forward(x);
    const std::int64_t limit = expert_capacity(0.5, 40, 2, 4);  // 10
    const DispatchPlan limited = plan_dispatch(routing.indices, routing.weights, 4, limit);
    for (auto count : limited.counts) CHECK(count <= limit);
    CHECK(limited.tokens.size(0) + limited.dropped == 80);
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

TEST_CASE("moe: the balance loss is cv^2(importance) + cv^2(load), by hand on a tiny case", "[model][moe]") {
    at::manual_seed(1);
    TopKRouter router(2, 2, 1, /*noisy=*/false);
    {
        torch::NoGradGuard no_grad;
        router->gate->weight.copy_(at::tensor({1.0f, 0.0f, 0.0f, 1.0f}).view({2, 2}));  // logits = x
    }
    // Tokens 0-2 pick expert 0, token 3 expert 1; with k = 1 each gate weight is 1.
    const at::Tensor x = at::tensor({2.0f, 0.0f, 3.0f, 1.0f, 1.0f, 0.5f, 0.0f, 2.0f}).view({4, 2});
    const RouterOutput out = router->forward(x);
    // importance = load = [3, 1]: mean 2, unbiased variance 2, cv^2 = 0.5 each.
    CHECK(out.balance_loss.item<double>() == Approx(1.0).epsilon(1e-6));
    CHECK(at::equal(out.indices.squeeze(1), at::tensor({0, 0, 0, 1}, at::kLong)));
    // z-loss: mean over tokens of logsumexp(logits)^2.
    const double z = (std::pow(std::log(std::exp(2.0) + 1.0), 2) + std::pow(std::log(std::exp(3.0) + std::exp(1.0)), 2) +
                      std::pow(std::log(std::exp(1.0) + std::exp(0.5)), 2) + std::pow(std::log(1.0 + std::exp(2.0)), 2)) / 4;
    CHECK(out.z_loss.item<double>() == Approx(z).epsilon(1e-5));
}

TEST_CASE("moe: noisy gating adds noise only while training and keeps the load estimate differentiable",
          "[model][moe]") {
    at::manual_seed(3);
    TopKRouter router(8, 4, 2, /*noisy=*/true);
    {
        torch::NoGradGuard no_grad;
        router->gate->weight.normal_();
        router->noise->weight.normal_();
    }
    const at::Tensor x = at::randn({16, 8});
    router->eval();
    CHECK(at::equal(router->forward(x).indices, router->forward(x).indices));
    router->train();
    const RouterOutput noisy = router->forward(x);
    noisy.balance_loss.backward();
    CHECK(router->noise->weight.grad().defined());
    CHECK(router->noise->weight.grad().abs().sum().item<double>() > 0);
}
