#include "model/moe_feed_forward.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/expert_mlp.h"

namespace sm4 {

ExpertBankImpl::ExpertBankImpl(std::int64_t experts, std::int64_t d_model, std::int64_t hidden) {
    // nn.Linear's default initialisation, per expert.
    const double bound1 = 1.0 / std::sqrt(static_cast<double>(d_model));
    const double bound2 = 1.0 / std::sqrt(static_cast<double>(hidden));
    w1 = register_parameter("w1", at::empty({experts, d_model, hidden}).uniform_(-bound1, bound1));
    b1 = register_parameter("b1", at::empty({experts, hidden}).uniform_(-bound1, bound1));
    w2 = register_parameter("w2", at::empty({experts, hidden, d_model}).uniform_(-bound2, bound2));
    b2 = register_parameter("b2", at::empty({experts, d_model}).uniform_(-bound2, bound2));
    for (std::int64_t e = 0; e < experts; ++e) owners_.emplace_back(0, e);
}

at::Tensor ExpertBankImpl::expert(std::int64_t e, const at::Tensor& x) const {
    return at::addmm(b2[e], at::gelu(at::addmm(b1[e], x, w1[e])), w2[e]);
}

at::Tensor ExpertBankImpl::forward(const at::Tensor& x, const DispatchPlan& plan) {
    return run_expert_mlps(x, plan, {parameters_view()}, owners_);
}

MoeFeedForwardImpl::MoeFeedForwardImpl(const MoeSettings& settings, std::int64_t slots) : settings_(settings) {
    router = register_module("router", TopKRouter(settings.d_model, settings.experts, settings.top_k, settings.noisy_gating));
    experts = register_module("experts", ExpertBank(settings.experts, settings.d_model, settings.hidden));
    stats.reset(slots, settings.experts);
}

DispatchPlan MoeFeedForwardImpl::plan(const RouterOutput& routing, std::int64_t tokens) const {
    const std::int64_t capacity = expert_capacity(settings_.capacity_factor, tokens, settings_.top_k, settings_.experts);
    return plan_dispatch(routing.indices, routing.weights, settings_.experts, capacity);
}

at::Tensor MoeFeedForwardImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const RouterOutput routing = router->forward(x);
    const DispatchPlan plan = this->plan(routing, x.size(0));
    if (is_training()) stats.add(routing, slot_of_token, plan);  // training dynamics only
    aux_loss = routing.balance_loss;
    z_loss = routing.z_loss;
    return experts->forward(x, plan);
}

}  // namespace sm4
