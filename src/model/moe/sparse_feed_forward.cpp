#include "model/moe/sparse_feed_forward.h"

#include <ATen/ATen.h>

#include <cmath>

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

SparseFeedForwardImpl::SparseFeedForwardImpl(const SparseFeedForwardSettings& settings, std::int64_t slots)
    : capacity_factor_(settings.capacity_factor) {
    router = register_module("router", ExpertRouter(settings.router));
    experts = register_module("experts", ExpertBank(settings.router.experts, settings.router.d_model, settings.hidden));
    stats.reset(slots, settings.router.experts);
}

at::Tensor SparseFeedForwardImpl::forward(const at::Tensor& x, const TokenRouting& routing) {
    const RouterOutput r = router->forward(x, routing);
    last_plan = plan_routing(r, router->experts(), capacity_factor_);
    if (routing.pace.defined()) last_plan.row_pace = routing.pace.index_select(0, last_plan.tokens);
    if (is_training()) stats.add(r, routing.slot, last_plan);  // training dynamics only
    aux_loss = r.balance_loss;
    z_loss = r.z_loss;
    return experts->forward(x, last_plan);
}

}  // namespace sm4
