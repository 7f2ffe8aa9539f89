// The sparse mixture-of-experts feed-forward layer: a router picks top-k experts per token, the
// dispatch plan groups tokens by expert, each expert (a two-layer MLP) runs one matrix product
// per layer on its own block of tokens, and results are scatter-added back, weighted.
#pragma once

#include <torch/nn/module.h>

#include "model/expert_mlp.h"
#include "model/routing.h"

namespace sm4 {

struct MoeSettings {
    std::int64_t d_model = 64;
    std::int64_t hidden = 128;
    std::int64_t experts = 8;
    std::int64_t top_k = 2;
    double capacity_factor = 1.25;
    bool noisy_gating = true;
};

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

class MoeFeedForwardImpl : public torch::nn::Module {
public:
    MoeFeedForwardImpl(const MoeSettings& settings, std::int64_t slots);
    // x [tokens, d_model]; slot_of_token [tokens] (modality slot of each token, for statistics).
    at::Tensor forward(const at::Tensor& x, const at::Tensor& slot_of_token);
    // The dispatch of a routing of `tokens` tokens under this layer's capacity.
    DispatchPlan plan(const RouterOutput& routing, std::int64_t tokens) const;

    TopKRouter router{nullptr};
    ExpertBank experts{nullptr};
    RoutingAccumulator stats;
    at::Tensor aux_loss;  // balance (and z) loss of the last forward, unweighted sum parts
    at::Tensor z_loss;

private:
    MoeSettings settings_;
};
TORCH_MODULE(MoeFeedForward);

}  // namespace sm4
