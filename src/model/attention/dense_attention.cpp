#include "model/attention/dense_attention.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/attention/fused_attention.h"
#include "model/layers/paced_linear.h"

namespace sm4 {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::int64_t d_model, std::int64_t heads, std::int64_t head_dim)
    : heads_(heads), head_dim_(head_dim > 0 ? head_dim : d_model / heads) {
    const std::int64_t width = heads_ * head_dim_;
    qkv = register_module("qkv", torch::nn::Linear(d_model, 3 * width));
    out = register_module("out", torch::nn::Linear(width, d_model));
}

at::Tensor MultiHeadAttentionImpl::forward(const at::Tensor& x, const at::Tensor& token_pace) {
    const std::int64_t w = heads_ * head_dim_;
    const at::Tensor packed = paced_linear(x, qkv->weight, qkv->bias, token_pace);  // [batch, tokens, 3 w]: q | k | v
    const AttentionLayout layout{heads_, head_dim_, 0, w, 2 * w, 1.0 / std::sqrt(static_cast<double>(head_dim_))};
    return paced_linear(multi_head_attention(packed, packed, layout), out->weight, out->bias, token_pace);
}

}  // namespace sm4
