#include "model/moe/expert_router.h"

#include <ATen/ATen.h>

#include "model/layers/paced_linear.h"
#include "model/moe/top_k_gating.h"

namespace sm4 {

ExpertRouterImpl::ExpertRouterImpl(const RouterSettings& s) : settings_(s) {
    const std::int64_t networks = s.scope == RouterScope::Modality ? s.slots : s.scope == RouterScope::Task ? s.tasks : 1;
    weight = register_parameter("weight", at::zeros({networks, (s.noisy ? 2 : 1) * s.experts, s.d_model}));
}

RouterOutput ExpertRouterImpl::forward(const at::Tensor& x, const TokenRouting& routing) {
    const std::int64_t experts = settings_.experts;
    const bool add_noise = settings_.noisy && is_training();
    // Without noise only the gate rows are multiplied (evaluation, and `sm4 flops`).
    const std::int64_t columns = add_noise ? 2 * experts : experts;
    GatingInput in;
    in.k = routing.k;
    in.k_max = routing.k_max;
    in.renormalize = settings_.renormalize;
    if (settings_.scope == RouterScope::Modality && networks() > 1) {
        // Each present slot's tokens through its own network (a few slots per forward; the
        // dispatch after it is one plan for all).
        const at::Tensor local = routing.local_slot.to(x.device());
        in.logits = at::empty({x.size(0), columns}, x.options());
        for (std::size_t i = 0; i < routing.slots.size(); ++i) {
            const at::Tensor rows = local.eq(static_cast<std::int64_t>(i)).nonzero().squeeze(1);
            const at::Tensor pace = routing.pace.defined() ? routing.pace.index_select(0, rows) : at::Tensor();
            in.logits.index_copy_(0, rows, paced_linear(x.index_select(0, rows), weight[routing.slots[i]].narrow(0, 0, columns),
                                                        at::Tensor(), pace));
        }
        in.router = local;
        in.routers = static_cast<std::int64_t>(routing.slots.size());
    } else {
        const std::int64_t network = settings_.scope == RouterScope::Task ? routing.task : 0;
        in.logits = paced_linear(x, weight[network].narrow(0, 0, columns), at::Tensor(), routing.pace);
    }
    if (add_noise) in.eps = at::randn({x.size(0), experts}, x.options());
    const Gating g = top_k_gating(in);
    RouterOutput out;
    out.indices = g.indices;
    out.weights = g.weights;
    out.probabilities = g.probabilities;
    out.entropy = g.entropy;
    if (is_training() && group_.active()) {  // the global batch's balance, as one process would see it
        out.balance_loss = balance_loss(sum_over_replicas(g.importance, group_), sum_over_replicas(g.load, group_));
    } else {
        out.balance_loss = balance_loss(g.importance, g.load);
    }
    out.z_loss = g.logsumexp.pow(2).mean();
    out.uniform_k = routing.uniform_k;
    return out;
}

}  // namespace sm4
