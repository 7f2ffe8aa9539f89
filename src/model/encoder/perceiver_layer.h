// The perceiver layer of HighMMT's code (crossattnperceiver.py with the multi-modality fork of
// perceiver-pytorch), the building block of every backbone's unimodal encoder (the paper's A.2,
// Figure 5) and of HighMMT's cross-modal stage: pre-norm cross-attention of the latents to a
// context, then a latent block (self-attention), each attention followed by a GEGLU feed-forward
// when the layer has them, and HighMMT's second residual around the latent block.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>

#include "core/config.h"
#include "model/tokens/token_projection.h"

namespace sm4 {

// Attention of queries [B, Lq, query_dim] over a context [B, N, context_dim]: bias-free query and
// key/value projections, `heads` heads of `head_dim`, softmax(q k^T / sqrt(head_dim)), an output
// projection with bias; the attention itself is one fused pass (model/attention/fused_attention.h).
class PerceiverAttentionImpl : public torch::nn::Module {
public:
    PerceiverAttentionImpl(std::int64_t query_dim, std::int64_t context_dim, std::int64_t heads, std::int64_t head_dim);
    at::Tensor forward(const at::Tensor& x, const at::Tensor& context);
    // The same with the keys and values already projected (kv = to_kv(context)).
    at::Tensor attend(const at::Tensor& x, const at::Tensor& kv);

    torch::nn::Linear to_q{nullptr}, to_kv{nullptr}, to_out{nullptr};

private:
    std::int64_t heads_, head_dim_;
};
TORCH_MODULE(PerceiverAttention);

// GEGLU feed-forward: Linear(dim, 2 * hidden), value * gelu(gate), Linear(hidden, dim).
class GegluFeedForwardImpl : public torch::nn::Module {
public:
    GegluFeedForwardImpl(std::int64_t dim, std::int64_t hidden);
    at::Tensor forward(const at::Tensor& x);

    torch::nn::Linear in{nullptr}, out{nullptr};
};
TORCH_MODULE(GegluFeedForward);

// The shape of one perceiver layer. HighMMT's code: GEGLUs and the double residual; the paper's
// Figure 5 draws attention only (model.encoder_ff = "none", encoder_double_residual = false).
struct PerceiverLayerOptions {
    std::int64_t dim = 64;           // latent width
    std::int64_t context_dim = 64;   // token width of the context
    std::int64_t heads = 1, head_dim = 64;                // the cross-attention
    std::int64_t self_heads = 8, self_head_dim = 64;      // the latent self-attention
    std::int64_t ff_hidden = 256;    // each GEGLU's hidden width
    bool feed_forward = true;        // a GEGLU after each attention
    bool double_residual = true;     // out = block(x) + x, as crossattnperceiver.py:216
};

// HighMMT's layer for a context of `context_dim` and a cross-attention of heads x head_dim.
PerceiverLayerOptions highmmt_layer_options(const ModelConfig& config, std::int64_t context_dim, std::int64_t heads,
                                            std::int64_t head_dim);

class PerceiverLayerImpl : public torch::nn::Module {
public:
    explicit PerceiverLayerImpl(const PerceiverLayerOptions& options);
    // latents [B, L, dim], context [B, N, context_dim] -> [B, L, dim]
    at::Tensor forward(const at::Tensor& latents, const at::Tensor& context);
    // Over a modality's tokens given in parts: the context's norm and key/value projection as
    // one normed_token_projection (the tail's share computed once, not per example).
    at::Tensor forward(const at::Tensor& latents, const TokenParts& tokens);

    torch::nn::LayerNorm norm_query{nullptr}, norm_context{nullptr}, norm_ff{nullptr}, norm_self{nullptr},
        norm_self_ff{nullptr};
    PerceiverAttention cross{nullptr}, self{nullptr};
    GegluFeedForward ff{nullptr}, self_ff{nullptr};  // null without feed-forwards

private:
    // Everything after the cross-attention's residual: feed-forward, latent self-attention.
    at::Tensor latent_stage(at::Tensor x);

    bool double_residual_;
};
TORCH_MODULE(PerceiverLayer);

}  // namespace sm4
