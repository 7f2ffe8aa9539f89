#include "model/attention/dense_attention.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/attention/fused_attention.h"
#include "model/layers/paced_linear.h"

namespace sm4 {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::int64_t d_model, std::int64_t heads) : heads_(heads) {
    qkv = register_module("qkv", torch::nn::Linear(d_model, 3 * d_model));
    out = register_module("out", torch::nn::Linear(d_model, d_model));
}

at::Tensor MultiHeadAttentionImpl::forward(const at::Tensor& x, const at::Tensor& token_pace) {
    const std::int64_t d = x.size(2), head_dim = d / heads_;
    const at::Tensor packed = paced_linear(x, qkv->weight, qkv->bias, token_pace);  // [batch, tokens, 3 d]: q | k | v
    const AttentionLayout layout{heads_, head_dim, 0, d, 2 * d, 1.0 / std::sqrt(static_cast<double>(head_dim))};
    return paced_linear(multi_head_attention(packed, packed, layout), out->weight, out->bias, token_pace);
}

}  // namespace sm4
