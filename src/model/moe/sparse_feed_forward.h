// SMoE (3.1, Eq. 1-2): the feed-forward duplicated into a group of experts (two-layer GELU MLPs),
// a router that picks each token's k experts, one dispatch plan grouping the tokens by expert,
// one matrix product per layer on each expert's block, and the weighted combine back.
#pragma once

#include <torch/nn/module.h>

#include "model/moe/expert_mlp.h"
#include "model/moe/expert_router.h"
#include "model/moe/routing.h"
#include "model/moe/token_routing.h"

namespace sm4 {

// N two-layer GELU MLPs with stacked weights: w1 [N, d, h], b1 [N, h], w2 [N, h, d], b2 [N, d].
class ExpertBankImpl : public torch::nn::Module {
public:
    ExpertBankImpl(std::int64_t experts, std::int64_t d_model, std::int64_t hidden);
    // x [tokens, d_model]; returns [tokens, d_model]: sum over kept assignments of weight * expert(x).
    at::Tensor forward(const at::Tensor& x, const DispatchPlan& plan);
    // One expert applied to rows x [n, d_model] (used by tests for the naive dense mixture).
    at::Tensor expert(std::int64_t e, const at::Tensor& x) const;
    ExpertParameters parameters_view() const { return {w1, b1, w2, b2}; }

    at::Tensor w1, b1, w2, b2;

private:
    ExpertOwners owners_;  // expert e is this bank's e
};
TORCH_MODULE(ExpertBank);

struct SparseFeedForwardSettings {
    RouterSettings router;
    std::int64_t hidden = 128;         // each expert's hidden width
    double capacity_factor = 0.0;      // <= 0: no assignment dropped
};

class SparseFeedForwardImpl : public torch::nn::Module {
public:
    SparseFeedForwardImpl(const SparseFeedForwardSettings& settings, std::int64_t slots);
    // x [tokens, d_model] -> [tokens, d_model]; while training, its routing goes to `stats`.
    at::Tensor forward(const at::Tensor& x, const TokenRouting& routing);

    ExpertRouter router{nullptr};
    ExpertBank experts{nullptr};
    RoutingAccumulator stats;
    at::Tensor aux_loss, z_loss;  // of the last forward, unweighted
    DispatchPlan last_plan;       // the last forward's dispatch (for inspection and tests)

private:
    double capacity_factor_;
};
TORCH_MODULE(SparseFeedForward);

}  // namespace sm4
