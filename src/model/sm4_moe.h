// SM4's feed-forward MoE with a disentangled model space: one router per modality group, each
// over its own experts (plus any shared experts), so a token of modality j can only reach the
// experts of j's group. The groups' assignments are merged into one dispatch plan; each group's
// experts are their own parameters, so a group can get its own learning rate.
#pragma once

#include <torch/nn/module.h>

#include "model/expert_groups.h"
#include "model/grouped_router.h"
#include "model/moe_feed_forward.h"

namespace sm4 {

class Sm4MoeImpl : public torch::nn::Module {
public:
    Sm4MoeImpl(const MoeSettings& settings, ExpertGroups groups, std::int64_t slots);
    // x [tokens, d_model]; slot_of_token [tokens].
    at::Tensor forward(const at::Tensor& x, const at::Tensor& slot_of_token);
    // The merged dispatch of the groups' routing under this layer's per-expert capacities.
    DispatchPlan plan(const GroupedRouting& routing, const at::Device& device) const;

    const ExpertGroups& groups() const { return router->groups(); }
    GroupedRouter router{nullptr};      // one router per group
    std::vector<ExpertBank> banks;      // one per group, then the shared bank (if any)
    RoutingAccumulator stats;
    at::Tensor aux_loss, z_loss;        // sums over the groups' routers
    DispatchPlan last_plan;             // the last forward's dispatch (for inspection and tests)

private:
    MoeSettings settings_;
    ExpertOwners owner_;  // per global expert: (bank, index in bank)
};
TORCH_MODULE(Sm4Moe);

}  // namespace sm4
