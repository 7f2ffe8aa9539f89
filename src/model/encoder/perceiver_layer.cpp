#include "model/encoder/perceiver_layer.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/attention/fused_attention.h"
#include "model/kernels/gelu.h"
#include "model/tokens/token_projection.h"

namespace sm4 {
namespace {

torch::nn::LayerNorm layer_norm(std::int64_t dim) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})); }

}  // namespace

PerceiverAttentionImpl::PerceiverAttentionImpl(std::int64_t query_dim, std::int64_t context_dim, std::int64_t heads,
                                               std::int64_t head_dim)
    : heads_(heads), head_dim_(head_dim) {
    const std::int64_t inner = heads * head_dim;
    to_q = register_module("to_q", torch::nn::Linear(torch::nn::LinearOptions(query_dim, inner).bias(false)));
    to_kv = register_module("to_kv", torch::nn::Linear(torch::nn::LinearOptions(context_dim, 2 * inner).bias(false)));
    to_out = register_module("to_out", torch::nn::Linear(inner, query_dim));
}

at::Tensor PerceiverAttentionImpl::forward(const at::Tensor& x, const at::Tensor& context) { return attend(x, to_kv(context)); }

at::Tensor PerceiverAttentionImpl::attend(const at::Tensor& x, const at::Tensor& kv) {
    const std::int64_t inner = heads_ * head_dim_;
    const AttentionLayout layout{heads_, head_dim_, 0, 0, inner, 1.0 / std::sqrt(static_cast<double>(head_dim_))};
    return to_out(multi_head_attention(to_q(x), kv, layout));
}

GegluFeedForwardImpl::GegluFeedForwardImpl(std::int64_t dim, std::int64_t hidden) {
    in = register_module("expand", torch::nn::Linear(dim, 2 * hidden));
    out = register_module("contract", torch::nn::Linear(hidden, dim));
}

at::Tensor GegluFeedForwardImpl::forward(const at::Tensor& x) {
    const auto halves = in(x).chunk(2, -1);
    return out(halves[0] * fast_gelu(halves[1]));
}

PerceiverLayerOptions highmmt_layer_options(const ModelConfig& c, std::int64_t context_dim, std::int64_t heads,
                                            std::int64_t head_dim) {
    PerceiverLayerOptions o;
    o.dim = c.latent_dim;
    o.context_dim = context_dim;
    o.heads = heads;
    o.head_dim = head_dim;
    o.self_heads = c.latent_heads;
    o.self_head_dim = c.latent_head_dim;
    o.ff_hidden = c.latent_dim * c.ff_mult;
    return o;
}

PerceiverLayerImpl::PerceiverLayerImpl(const PerceiverLayerOptions& o) : double_residual_(o.double_residual) {
    norm_query = register_module("norm_query", layer_norm(o.dim));
    norm_context = register_module("norm_context", layer_norm(o.context_dim));
    cross = register_module("cross", PerceiverAttention(o.dim, o.context_dim, o.heads, o.head_dim));
    if (o.feed_forward) {
        norm_ff = register_module("norm_ff", layer_norm(o.dim));
        ff = register_module("ff", GegluFeedForward(o.dim, o.ff_hidden));
    }
    norm_self = register_module("norm_self", layer_norm(o.dim));
    self = register_module("self", PerceiverAttention(o.dim, o.dim, o.self_heads, o.self_head_dim));
    if (o.feed_forward) {
        norm_self_ff = register_module("norm_self_ff", layer_norm(o.dim));
        self_ff = register_module("self_ff", GegluFeedForward(o.dim, o.ff_hidden));
    }
}

at::Tensor PerceiverLayerImpl::forward(const at::Tensor& latents, const at::Tensor& context) {
    return latent_stage(cross(norm_query(latents), norm_context(context)) + latents);
}

at::Tensor PerceiverLayerImpl::forward(const at::Tensor& latents, const TokenParts& tokens) {
    const at::Tensor kv = normed_token_projection(tokens, norm_context->weight, norm_context->bias,
                                                  norm_context->options.eps(), cross->to_kv->weight);
    return latent_stage(cross->attend(norm_query(latents), kv) + latents);
}

at::Tensor PerceiverLayerImpl::latent_stage(at::Tensor x) {
    if (ff) x = ff(norm_ff(x)) + x;
    const at::Tensor normed = norm_self(x);
    at::Tensor y = self(normed, normed) + x;
    if (self_ff) y = self_ff(norm_self_ff(y)) + y;
    return double_residual_ ? y + x : y;  // crossattnperceiver.py adds x again around the latent transformer
}

}  // namespace sm4
