#include "model/attention/sparse_attention.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/attention/fused_attention.h"
#include "model/layers/paced_linear.h"
#include "model/moe/expert_linear.h"

namespace sm4 {
namespace {

constexpr std::array<const char*, 3> kGroups{"query", "key", "value"};

}  // namespace

SparseAttentionImpl::SparseAttentionImpl(const SparseAttentionSettings& s, std::int64_t slots)
    : heads_(s.heads), shared_(s.shared_router), capacity_factor_(s.capacity_factor) {
    const std::int64_t d = s.router.d_model, experts = s.router.experts;
    for (std::size_t g = 0; g < (shared_ ? 1 : 3); ++g)
        routers.push_back(register_module(shared_ ? std::string("router") : std::string("router_") + kGroups[g], ExpertRouter(s.router)));
    // Each expert as nn.Linear(d, d) is initialised.
    const double bound = 1.0 / std::sqrt(static_cast<double>(d));
    for (std::size_t g = 0; g < 3; ++g) {
        weight[g] = register_parameter(std::string("w_") + kGroups[g], at::empty({experts, d, d}).uniform_(-bound, bound));
        bias[g] = register_parameter(std::string("b_") + kGroups[g], at::empty({experts, d}).uniform_(-bound, bound));
        stats[g].reset(slots, experts);
    }
    out = register_module("out", torch::nn::Linear(d, d));
}

at::Tensor SparseAttentionImpl::forward(const at::Tensor& x, const TokenRouting& routing) {
    const std::int64_t batch = x.size(0), tokens = x.size(1), d = x.size(2);
    const at::Tensor flat = x.reshape({batch * tokens, d});
    std::array<at::Tensor, 3> projected;
    aux_loss = at::zeros({}, x.options());
    z_loss = at::zeros({}, x.options());
    RouterOutput shared_routing;
    for (std::size_t g = 0; g < 3; ++g) {
        const bool own = !shared_ || g == 0;
        const RouterOutput r = own ? router_of(g)->forward(flat, routing) : shared_routing;
        if (own) {
            aux_loss = aux_loss + r.balance_loss;
            z_loss = z_loss + r.z_loss;
            last_plans[g] = plan_routing(r, weight[g].size(0), capacity_factor_);
            if (routing.pace.defined()) last_plans[g].row_pace = routing.pace.index_select(0, last_plans[g].tokens);
            if (shared_) shared_routing = r;
        } else {
            last_plans[g] = last_plans[0];
        }
        if (is_training()) stats[g].add(r, routing.slot, last_plans[g]);  // training dynamics only
        projected[g] = run_expert_linears(flat, last_plans[g], weight[g], bias[g]);
    }
    const at::Tensor packed = at::cat({projected[0], projected[1], projected[2]}, 1).view({batch, tokens, 3 * d});
    const std::int64_t head_dim = d / heads_;
    const AttentionLayout layout{heads_, head_dim, 0, d, 2 * d, 1.0 / std::sqrt(static_cast<double>(head_dim))};
    return paced_linear(multi_head_attention(packed, packed, layout), out->weight, out->bias, routing.pace);
}

}  // namespace sm4
