// SMoA, the sparse mixture of attention (3.1, A.7, C.3): the query, key and value projections
// each duplicated into a group of linear experts, each group with its own router (or one router
// for all three, Table 12's variant), so a token's query, key and value come from the experts its
// routers chose; then multi-head attention over them (8 heads of 8 in the paper) and one output
// projection.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <array>

#include "model/moe/expert_router.h"
#include "model/moe/routing.h"
#include "model/moe/token_routing.h"

namespace sm4 {

struct SparseAttentionSettings {
    RouterSettings router;         // of each group (experts, scope, noise)
    std::int64_t heads = 8;        // attention heads over the experts' outputs
    bool shared_router = false;    // model.qkv_router = "shared": one router for q, k and v
    double capacity_factor = 0.0;
};

class SparseAttentionImpl : public torch::nn::Module {
public:
    SparseAttentionImpl(const SparseAttentionSettings& settings, std::int64_t slots);
    // x [batch, tokens, d_model] (normed) -> [batch, tokens, d_model]; routing over batch * tokens.
    at::Tensor forward(const at::Tensor& x, const TokenRouting& routing);

    // The group's router: query 0, key 1, value 2 (all the same one when shared).
    ExpertRouter router_of(std::size_t group) const { return routers[shared_ ? 0 : group]; }

    std::vector<ExpertRouter> routers;            // 3, or 1 when shared
    std::array<at::Tensor, 3> weight, bias;       // per group: [experts, d_model, d_model], [experts, d_model]
    torch::nn::Linear out{nullptr};
    std::array<RoutingAccumulator, 3> stats;      // query, key, value
    at::Tensor aux_loss, z_loss;                  // sums over the routers of the last forward
    std::array<DispatchPlan, 3> last_plans;       // the last forward's dispatches

private:
    std::int64_t heads_;
    bool shared_;
    double capacity_factor_;
};
TORCH_MODULE(SparseAttention);

}  // namespace sm4
