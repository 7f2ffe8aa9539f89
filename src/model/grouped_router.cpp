#include "model/grouped_router.h"

#include <ATen/ATen.h>

namespace sm4 {

GroupedRouterImpl::GroupedRouterImpl(std::int64_t d_model, ExpertGroups groups, std::int64_t top_k, bool noisy)
    : groups_(std::move(groups)) {
    group_of_slot_ = at::tensor(groups_.group_of_slot, at::kLong);
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const std::int64_t width = groups_.experts[g] + groups_.shared;
        routers.push_back(register_module("router" + std::to_string(g),
                                          TopKRouter(d_model, width, std::min(top_k, width), noisy)));
    }
}

GroupedRouting GroupedRouterImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token,
                                          RoutingAccumulator& stats) {
    const at::Tensor slots = slot_of_token.to(x.device());
    const at::Tensor group_of_token = group_of_slot_.to(x.device()).index_select(0, slots);
    std::vector<at::Tensor> tokens, experts, weights, priority, cells;
    std::int64_t slots_per_token = 1;  // the most assignments a token gets: the largest group's k
    for (const auto& r : routers) slots_per_token = std::max(slots_per_token, r->k());
    GroupedRouting out;
    out.expected.assign(static_cast<std::size_t>(groups_.total()), 0.0);
    out.aux_loss = at::zeros({}, x.options());
    out.z_loss = at::zeros({}, x.options());
    const bool single = groups_.size() == 1;  // every token in the one group: no selection needed
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const at::Tensor members = single ? at::arange(x.size(0), slots.options())
                                          : group_of_token.eq(static_cast<std::int64_t>(g)).nonzero().squeeze(1);
        const std::int64_t n = members.size(0);
        if (n == 0) continue;
        const RouterOutput r = routers[g]->forward(single ? x : x.index_select(0, members));
        const std::int64_t k = r.indices.size(1), own = groups_.experts[g];
        // Local expert l is the group's own expert l, or shared expert l - own.
        const at::Tensor local = r.indices.reshape({-1});
        const at::Tensor global = groups_.shared == 0 ? local + groups_.offset(g)
                                  : at::where(local.lt(own), local + groups_.offset(g),
                                              local - own + groups_.shared_offset());
        tokens.push_back(members.unsqueeze(1).expand({n, k}).reshape({-1}));
        experts.push_back(global);
        weights.push_back(r.weights.reshape({-1}));
        priority.push_back(r.weights.select(1, 0).detach().unsqueeze(1).expand({n, k}).reshape({-1}));
        cells.push_back((members.unsqueeze(1) * slots_per_token + at::arange(k, members.options())).reshape({-1}));
        out.aux_loss = out.aux_loss + r.balance_loss;
        out.z_loss = out.z_loss + r.z_loss;
        const double share = static_cast<double>(n * k) / static_cast<double>(own + groups_.shared);
        for (std::int64_t e = 0; e < own; ++e) out.expected[static_cast<std::size_t>(groups_.offset(g) + e)] += share;
        for (std::int64_t e = 0; e < groups_.shared; ++e)
            out.expected[static_cast<std::size_t>(groups_.shared_offset() + e)] += share;
        if (is_training() && own + groups_.shared > 1) {
            const torch::NoGradGuard no_grad;
            stats.add_entropy(r, single ? slots : slots.index_select(0, members));
        }
    }
    out.assignments = {at::cat(tokens), at::cat(experts), at::cat(weights), at::cat(priority), at::cat(cells),
                       x.size(0), slots_per_token};
    return out;
}

}  // namespace sm4
