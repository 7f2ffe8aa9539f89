// Self-attention: ordinary multi-head attention, or a mixture of attention heads (Zhang et al.
// 2022) where each token routes to its top-k head experts, each with its own query and output
// projections over shared keys and values.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

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
    // Head experts of width d_model / heads; top_k of them per token.
    MixtureOfHeadsImpl(std::int64_t d_model, std::int64_t heads, std::int64_t experts, std::int64_t top_k,
                       bool noisy, std::int64_t slots);
    // x [batch, tokens, d_model]; slot_of_token [batch * tokens].
    at::Tensor forward(const at::Tensor& x, const at::Tensor& slot_of_token);

    TopKRouter router{nullptr};
    torch::nn::Linear kv{nullptr};
    at::Tensor w_query;   // [experts, d_model, head_dim]
    at::Tensor w_output;  // [experts, head_dim, d_model]
    RoutingAccumulator stats;
    at::Tensor aux_loss, z_loss;

private:
    std::int64_t head_dim_, experts_, top_k_;
};
TORCH_MODULE(MixtureOfHeads);

}  // namespace sm4
