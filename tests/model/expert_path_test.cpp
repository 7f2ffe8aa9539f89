// The fused expert path (one autograd function, per-token combine) against the plainest
// reading of a mixture of experts: for every kept assignment, weight * expert(x[token]) added to
// that token's row, computed with ordinary autograd ops.
#include <ATen/ATen.h>
#include <catch.hpp>
#include <torch/autograd.h>

#include "model/moe_feed_forward.h"
#include "model/sm4_moe.h"

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
        if (item.key().find("gate") != std::string::npos) item.value().normal_(0, 1);
}

std::vector<at::Tensor> gradients(const at::Tensor& out, const at::Tensor& upstream, const std::vector<at::Tensor>& wrt) {
    return torch::autograd::grad({out}, wrt, {upstream}, /*retain_graph=*/true, false, /*allow_unused=*/true);
}

}  // namespace

TEST_CASE("bench: the fused MoE path equals a naive per-token mixture under capacity dropping, gradients too",
          "[bench][model][moe]") {
    at::manual_seed(3);
    MoeSettings s;
    s.d_model = 8;
    s.hidden = 12;
    s.experts = 4;
    s.top_k = 2;
    s.capacity_factor = 0.6;  // forces drops
    s.noisy_gating = false;
    MoeFeedForward moe(s, 1);
    randomise_routers(*moe);
    const at::Tensor x = at::randn({40, 8}).requires_grad_();
    const at::Tensor routed = moe->forward(x, at::zeros({40}, at::kLong));
    const DispatchPlan plan = moe->plan(moe->router->forward(x), 40);
    REQUIRE(plan.dropped > 0);
    const at::Tensor naive = naive_mixture(x, plan, [&](std::int64_t e, const at::Tensor& row) { return moe->experts->expert(e, row); });
    CHECK(at::allclose(routed, naive, 1e-5, 1e-5));

    const at::Tensor upstream = at::randn({40, 8});
    const std::vector<at::Tensor> wrt = {x, moe->experts->w1, moe->experts->b1, moe->experts->w2, moe->experts->b2,
                                         moe->router->gate->weight};
    const auto fused = gradients(routed, upstream, wrt), plain = gradients(naive, upstream, wrt);
    for (std::size_t i = 0; i < wrt.size(); ++i) {
        INFO("gradient " << i);
        REQUIRE(fused[i].defined());
        CHECK(at::allclose(fused[i], plain[i], 1e-4, 1e-5));
    }
}

TEST_CASE("bench: SM4's merged dispatch over several banks equals the naive mixture, gradients too", "[bench][model][sm4]") {
    at::manual_seed(4);
    MoeSettings s;
    s.d_model = 8;
    s.hidden = 6;
    s.top_k = 2;
    s.capacity_factor = 0.0;
    s.noisy_gating = false;
    ExpertGroups groups;
    groups.names = {"a", "b"};
    groups.group_of_slot = {0, 1};
    groups.experts = {2, 3};
    groups.shared = 1;
    Sm4Moe moe(s, groups, 2);
    randomise_routers(*moe);
    const at::Tensor x = at::randn({30, 8}).requires_grad_();
    const at::Tensor slots = at::arange(30, at::kLong).remainder(2);
    const at::Tensor routed = moe->forward(x, slots);
    const DispatchPlan& plan = moe->last_plan;
    const std::vector<std::pair<std::size_t, std::int64_t>> owner = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}};
    const at::Tensor naive = naive_mixture(x, plan, [&](std::int64_t e, const at::Tensor& row) {
        return moe->banks[owner[static_cast<std::size_t>(e)].first]->expert(owner[static_cast<std::size_t>(e)].second, row);
    });
    CHECK(at::allclose(routed, naive, 1e-5, 1e-5));
    const at::Tensor upstream = at::randn({30, 8});
    std::vector<at::Tensor> wrt = {x};
    for (auto& bank : moe->banks) wrt.insert(wrt.end(), {bank->w1, bank->b1, bank->w2, bank->b2});
    const auto fused = gradients(routed, upstream, wrt), plain = gradients(naive, upstream, wrt);
    for (std::size_t i = 0; i < wrt.size(); ++i) {
        INFO("gradient " << i);
        CHECK(at::allclose(fused[i], plain[i], 1e-4, 1e-5));
    }
}
