// Self-attention: ordinary multi-head attention, or a mixture of attention heads (Zhang et al.
// 2022) where each token routes to its top-k head experts, each with its own query and output
// projections over shared keys and values.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include "model/expert_groups.h"
#include "model/grouped_router.h"
#include "model/routing.h"

namespace sm4 {

class MultiHeadAttentionImpl : public torch::nn::Module {
public:
    MultiHeadAttentionImpl(std::int64_t d_model, std::int64_t heads);
    at::Tensor forward(const at::Tensor& x);  // [batch, tokens, d_model]

    torch::nn::Linear qkv{nullptr}, out{nullptr};

private:
    std::int64_t heads_;
};
TORCH_MODULE(MultiHeadAttention);

class MixtureOfHeadsImpl : public torch::nn::Module {
public:
    // Head experts of width d_model / heads; top_k of them per token. `groups` (no shared
    // experts) says which slots route to which experts: single_group() for one shared router,
    // SM4's modality groups for one router per group.
    MixtureOfHeadsImpl(std::int64_t d_model, std::int64_t heads, const ExpertGroups& groups, std::int64_t top_k,
                       bool noisy);
    // x [batch, tokens, d_model]; slot_of_token [batch * tokens].
    at::Tensor forward(const at::Tensor& x, const at::Tensor& slot_of_token);

    // Global head expert e's projections, [d_model, head_dim] and [head_dim, d_model].
    at::Tensor query_weight(std::int64_t e) const;
    at::Tensor output_weight(std::int64_t e) const;

    GroupedRouter router{nullptr};
    torch::nn::Linear kv{nullptr};
    std::vector<at::Tensor> w_query;   // per group: [experts of the group, d_model, head_dim]
    std::vector<at::Tensor> w_output;  // per group: [experts of the group, head_dim, d_model]
    RoutingAccumulator stats;
    at::Tensor aux_loss, z_loss;
    DispatchPlan last_plan;            // the last forward's dispatch (for inspection and tests)

private:
    std::int64_t head_dim_, experts_;
    std::vector<std::pair<std::size_t, std::int64_t>> owner_;  // per global expert: (group, index in group)
};
TORCH_MODULE(MixtureOfHeads);

}  // namespace sm4
