// Multi-head self-attention of the layers after the encoder: one packed query/key/value
// projection, softmax(q k^T / sqrt(head_dim)) v per head (one fused pass), an output projection.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace sm4 {

class MultiHeadAttentionImpl : public torch::nn::Module {
public:
    // head_dim 0: d_model / heads; else the heads are head_dim wide (heads * head_dim in all).
    MultiHeadAttentionImpl(std::int64_t d_model, std::int64_t heads, std::int64_t head_dim = 0);
    // x [batch, tokens, d_model]; token_pace: ALP's per-token weights, or undefined.
    at::Tensor forward(const at::Tensor& x, const at::Tensor& token_pace = at::Tensor());

    torch::nn::Linear qkv{nullptr}, out{nullptr};

private:
    std::int64_t heads_, head_dim_;
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace sm4
