#include "model/sm4_moe.h"

#include <ATen/ATen.h>

#include <cmath>

namespace sm4 {

Sm4MoeImpl::Sm4MoeImpl(const MoeSettings& settings, ExpertGroups groups, std::int64_t slots)
    : settings_(settings), groups_(std::move(groups)) {
    group_of_slot_ = at::tensor(groups_.group_of_slot, at::kLong);
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const std::int64_t width = groups_.experts[g] + groups_.shared;
        routers.push_back(register_module("router" + std::to_string(g),
                                          TopKRouter(settings.d_model, width, std::min(settings.top_k, width),
                                                     settings.noisy_gating)));
        banks.push_back(register_module("experts" + std::to_string(g),
                                        ExpertBank(groups_.experts[g], settings.d_model, settings.hidden)));
    }
    if (groups_.shared > 0)
        banks.push_back(register_module("shared_experts", ExpertBank(groups_.shared, settings.d_model, settings.hidden)));
    stats.reset(slots, groups_.total());
    for (std::size_t g = 0; g < groups_.size(); ++g)
        for (std::int64_t e = 0; e < groups_.experts[g]; ++e) owner_.emplace_back(g, e);
    for (std::int64_t e = 0; e < groups_.shared; ++e) owner_.emplace_back(groups_.size(), e);
}

at::Tensor Sm4MoeImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const auto long_options = at::TensorOptions().dtype(at::kLong).device(x.device());
    const at::Tensor group_of_token = group_of_slot_.to(x.device()).index_select(0, slot_of_token.to(x.device()));
    const std::int64_t total = groups_.total();
    std::vector<at::Tensor> tokens, experts, weights, priority;
    std::vector<double> expected(static_cast<std::size_t>(total), 0.0);  // balanced assignments per expert
    aux_loss = at::zeros({}, x.options());
    z_loss = at::zeros({}, x.options());
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const at::Tensor members = group_of_token.eq(static_cast<std::int64_t>(g)).nonzero().squeeze(1);
        const std::int64_t n = members.size(0);
        if (n == 0) continue;
        const RouterOutput r = routers[g]->forward(x.index_select(0, members));
        const std::int64_t k = r.indices.size(1), own = groups_.experts[g];
        // Local expert l is the group's own expert l, or shared expert l - own.
        const at::Tensor local = r.indices.reshape({-1});
        const at::Tensor global = at::where(local.lt(own), local + groups_.offset(g), local - own + groups_.shared_offset());
        tokens.push_back(members.repeat_interleave(k));
        experts.push_back(global);
        weights.push_back(r.weights.reshape({-1}));
        priority.push_back(r.weights.select(1, 0).detach().repeat_interleave(k));
        aux_loss = aux_loss + r.balance_loss;
        z_loss = z_loss + r.z_loss;
        const double share = static_cast<double>(n * k) / static_cast<double>(own + groups_.shared);
        for (std::int64_t e = 0; e < own; ++e) expected[static_cast<std::size_t>(groups_.offset(g) + e)] += share;
        for (std::int64_t e = 0; e < groups_.shared; ++e) expected[static_cast<std::size_t>(groups_.shared_offset() + e)] += share;
        if (is_training() && own + groups_.shared > 1) {  // a single expert makes no routing decision
            const torch::NoGradGuard no_grad;
            stats.add_entropy(r.probabilities, slot_of_token.to(x.device()).index_select(0, members));
        }
    }
    Assignments a{at::cat(tokens), at::cat(experts), at::cat(weights), at::cat(priority)};
    at::Tensor capacity;
    if (settings_.capacity_factor > 0) {
        std::vector<std::int64_t> limits;
        for (double e : expected) limits.push_back(static_cast<std::int64_t>(std::ceil(settings_.capacity_factor * e)));
        capacity = at::tensor(limits, long_options);
    }
    last_plan = plan_assignments(a, total, capacity);
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
