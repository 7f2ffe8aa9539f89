// SM4's disentangled routing: one top-k router per expert group, each over its own experts (and
// the shared ones), so a token of modality j can only be assigned to j's group. The groups'
// choices are merged into one list of assignments in global expert indices, ready for one
// dispatch. With a single group holding every slot it is an ordinary shared router.
#pragma once

#include <torch/nn/module.h>

#include <vector>

#include "model/expert_groups.h"
#include "model/routing.h"

namespace sm4 {

struct GroupedRouting {
    Assignments assignments;
    std::vector<double> expected;  // [experts] assignments each expert gets under perfect balance
    at::Tensor aux_loss, z_loss;   // sums over the groups' routers (balance is per group)
};

class GroupedRouterImpl : public torch::nn::Module {
public:
    GroupedRouterImpl(std::int64_t d_model, ExpertGroups groups, std::int64_t top_k, bool noisy);
    // x [tokens, d_model]; slot_of_token [tokens]. While training, each routed token's
    // normalised entropy goes to `stats` (groups of one expert make no decision and add none).
    GroupedRouting forward(const at::Tensor& x, const at::Tensor& slot_of_token, RoutingAccumulator& stats);

    const ExpertGroups& groups() const { return groups_; }
    std::vector<TopKRouter> routers;  // one per group, over its experts then the shared ones

private:
    ExpertGroups groups_;
    at::Tensor group_of_slot_;  // [slots] int64
};
TORCH_MODULE(GroupedRouter);

}  // namespace sm4
