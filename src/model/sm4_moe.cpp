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

at::Tensor Sm4MoeImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const std::int64_t total = groups().total();
    const GroupedRouting routing = router->forward(x, slot_of_token, stats);
    aux_loss = routing.aux_loss;
    z_loss = routing.z_loss;
    at::Tensor capacity;
    if (settings_.capacity_factor > 0) {
        std::vector<std::int64_t> limits;
        for (double e : routing.expected) limits.push_back(static_cast<std::int64_t>(std::ceil(settings_.capacity_factor * e)));
        capacity = at::tensor(limits, at::TensorOptions().dtype(at::kLong).device(x.device()));
    }
    last_plan = plan_assignments(routing.assignments, total, capacity);
    if (is_training()) stats.add_load(last_plan);

    // Each expert's block of rows goes to the bank that owns it.
    const at::Tensor routed = x.index_select(0, last_plan.tokens);
    std::vector<at::Tensor> outputs;
    std::int64_t start = 0;
    for (std::int64_t e = 0; e < total; ++e) {
        const std::int64_t rows = last_plan.counts[static_cast<std::size_t>(e)];
        if (rows == 0) continue;
        const auto [bank, local] = owner_[static_cast<std::size_t>(e)];
        outputs.push_back(banks[bank]->expert(local, routed.narrow(0, start, rows)));
        start += rows;
    }
    at::Tensor out = at::zeros_like(x);
    if (outputs.empty()) return out;
    return out.index_add(0, last_plan.tokens, at::cat(outputs, 0) * last_plan.weights.unsqueeze(1));
}

}  // namespace sm4
