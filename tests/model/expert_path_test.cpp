// The fused expert path (one autograd function, per-token combine) against the plainest
// reading of a mixture of experts: for every kept assignment, weight * expert(x[token]) added to
// that token's row, computed with ordinary autograd ops.
#include <ATen/ATen.h>
#include <catch.hpp>
#include <torch/autograd.h>

#include "model/moe/sparse_feed_forward.h"
#include "model/moe/expert_linear.h"

using namespace sm4;

namespace {

at::Tensor naive_mixture(const at::Tensor& x, const DispatchPlan& plan, const std::function<at::Tensor(std::int64_t, const at::Tensor&)>& expert) {
    at::Tensor out = at::zeros_like(x);
    for (std::int64_t i = 0; i < plan.tokens.size(0); ++i) {
        const std::int64_t t = plan.tokens[i].item<std::int64_t>(), e = plan.experts[i].item<std::int64_t>();
        out = out.index_add(0, plan.tokens.narrow(0, i, 1), plan.weights[i] * expert(e, x.narrow(0, t, 1)));
    }
    return out;
}

void randomise_routers(torch::nn::Module& module) {
    const torch::NoGradGuard no_grad;
    for (auto& item : module.named_parameters())
        if (item.key().find("router") != std::string::npos) item.value().normal_(0, 1);
}

std::vector<at::Tensor> gradients(const at::Tensor& out, const at::Tensor& upstream, const std::vector<at::Tensor>& wrt) {
    return torch::autograd::grad({out}, wrt, {upstream}, /*retain_graph=*/true, false, /*allow_unused=*/true);
}

}  // namespace

TokenRouting mixed_k(std::int64_t tokens) {
    TokenRouting r;
    r.slot = at::arange(tokens, at::kLong).remainder(2);
    r.k = r.slot + 1;  // slot 0 one expert, slot 1 two
    r.k_max = 2;
    r.uniform_k = false;
    r.slots = {0, 1};
    r.local_slot = r.slot;
    return r;
}

TEST_CASE("bench: the fused MoE path equals a naive per-token mixture under capacity dropping and mixed k, gradients too",
          "[bench][model][moe]") {
    at::manual_seed(3);
    SparseFeedForwardSettings s;
    s.router.d_model = 8;
    s.router.experts = 4;
    s.router.noisy = false;
    s.hidden = 12;
    s.capacity_factor = 0.6;  // forces drops
    SparseFeedForward moe(s, 2);
    randomise_routers(*moe);
    const at::Tensor x = at::randn({40, 8}).requires_grad_();
    const at::Tensor routed = moe->forward(x, mixed_k(40));
    const DispatchPlan& plan = moe->last_plan;
    REQUIRE(plan.dropped > 0);
    const at::Tensor naive = naive_mixture(x, plan, [&](std::int64_t e, const at::Tensor& row) { return moe->experts->expert(e, row); });
    CHECK(at::allclose(routed, naive, 1e-5, 1e-5));

    const at::Tensor upstream = at::randn({40, 8});
    const std::vector<at::Tensor> wrt = {x, moe->experts->w1, moe->experts->b1, moe->experts->w2, moe->experts->b2,
                                         moe->router->weight};
    const auto fused = gradients(routed, upstream, wrt), plain = gradients(naive, upstream, wrt);
    for (std::size_t i = 0; i < wrt.size(); ++i) {
        INFO("gradient " << i);
        REQUIRE(fused[i].defined());
        CHECK(at::allclose(fused[i], plain[i], 1e-4, 1e-5));
    }
}

TEST_CASE("bench: the linear experts of SMoA equal the naive per-token mixture, gradients too", "[bench][model][moe]") {
    at::manual_seed(4);
    const at::Tensor weight = at::randn({3, 8, 5}).requires_grad_(), bias = at::randn({3, 5}).requires_grad_();
    const at::Tensor x = at::randn({30, 8}).requires_grad_();
    const at::Tensor gates = at::rand({30, 2}).requires_grad_();
    RouterOutput routing;
    routing.indices = at::stack({at::arange(30, at::kLong).remainder(3), (at::arange(30, at::kLong) + 1).remainder(3)}, 1);
    routing.weights = gates;
    const DispatchPlan plan = plan_routing(routing, 3, 0.0);
    const at::Tensor routed = run_expert_linears(x, plan, weight, bias);
    at::Tensor naive = at::zeros({30, 5});
    for (std::int64_t i = 0; i < plan.tokens.size(0); ++i) {
        const std::int64_t t = plan.tokens[i].item<std::int64_t>(), e = plan.experts[i].item<std::int64_t>();
        naive = naive.index_add(0, plan.tokens.narrow(0, i, 1), plan.weights[i] * at::addmm(bias[e], x.narrow(0, t, 1), weight[e]));
    }
    CHECK(at::allclose(routed, naive, 1e-5, 1e-5));
    const at::Tensor upstream = at::randn({30, 5});
    const std::vector<at::Tensor> wrt = {x, weight, bias, gates};
    const auto fused = gradients(routed, upstream, wrt), plain = gradients(naive, upstream, wrt);
    for (std::size_t i = 0; i < wrt.size(); ++i) {
        INFO("gradient " << i);
        CHECK(at::allclose(fused[i], plain[i], 1e-4, 1e-5));
    }
}
