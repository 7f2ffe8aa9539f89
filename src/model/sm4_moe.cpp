#include "model/sm4_moe.h"

#include <ATen/ATen.h>

#include <cmath>

namespace sm4 {

Sm4MoeImpl::Sm4MoeImpl(const MoeSettings& settings, ExpertGroups groups, std::int64_t slots) : settings_(settings) {
    router = register_module("router", GroupedRouter(settings.d_model, groups, settings.top_k, settings.noisy_gating));
    for (std::size_t g = 0; g < groups.size(); ++g)
        banks.push_back(register_module("experts" + std::to_string(g),
                                        ExpertBank(groups.experts[g], settings.d_model, settings.hidden)));
    if (groups.shared > 0)
        banks.push_back(register_module("shared_experts", ExpertBank(groups.shared, settings.d_model, settings.hidden)));
    stats.reset(slots, groups.total());
    for (std::size_t g = 0; g < groups.size(); ++g)
        for (std::int64_t e = 0; e < groups.experts[g]; ++e) owner_.emplace_back(g, e);
    for (std::int64_t e = 0; e < groups.shared; ++e) owner_.emplace_back(groups.size(), e);
}

DispatchPlan Sm4MoeImpl::plan(const GroupedRouting& routing, const at::Device& device) const {
    at::Tensor capacity;
    if (settings_.capacity_factor > 0) {
        std::vector<std::int64_t> limits;
        for (double e : routing.expected) limits.push_back(static_cast<std::int64_t>(std::ceil(settings_.capacity_factor * e)));
        capacity = at::tensor(limits, at::TensorOptions().dtype(at::kLong)).to(device);
    }
    return plan_assignments(routing.assignments, groups().total(), capacity);
}

at::Tensor Sm4MoeImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const GroupedRouting routing = router->forward(x, slot_of_token, stats);
    aux_loss = routing.aux_loss;
    z_loss = routing.z_loss;
    last_plan = plan(routing, x.device());
    if (is_training()) stats.add_load(last_plan);

    // Each expert's block of rows goes to the bank that owns it.
    std::vector<ExpertParameters> parameters;
    for (const auto& bank : banks) parameters.push_back(bank->parameters_view());
    return run_expert_mlps(x, last_plan, parameters, owner_);
}

}  // namespace sm4
