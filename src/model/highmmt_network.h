// HighMMT's network (Liang et al., "High-Modality Multimodal Transformer"), as the public code of
// pliang279/HighMMT builds it (private_test_scripts/perceivers/crossattnperceiver.py with the
// multi-modality fork of perceiver-pytorch): element tokens (model/highmmt_tokens.h); one shared
// latent array that cross-attends to each modality's tokens with the same weights (unimodal
// stage); for every ordered pair (i, j) of a task's modalities the latents of i attend to those
// of j (cross-modal stage) and the pair gives its last latent; per task LayerNorm + Linear over
// the pair outputs. docs/highmmt.md maps each part to the file it follows.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "core/config.h"
#include "model/highmmt_tokens.h"
#include "model/task_spec.h"
#include "model/token_projection.h"

namespace sm4 {

// Attention of queries [B, Lq, query_dim] over a context [B, N, context_dim]: bias-free query and
// key/value projections, `heads` heads of `head_dim`, softmax(q k^T / sqrt(head_dim)), an output
// projection with bias; the attention itself is one fused pass (model/fused_attention.h).
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

// One perceiver layer: pre-norm cross-attention of the latents to a context (LayerNorm on both),
// GEGLU feed-forward, then a latent block (self-attention and feed-forward with their own
// residuals), and HighMMT's second residual around that block: out = block(x) + x.
class PerceiverLayerImpl : public torch::nn::Module {
public:
    PerceiverLayerImpl(const ModelConfig& config, std::int64_t context_dim, std::int64_t heads, std::int64_t head_dim);
    at::Tensor forward(const at::Tensor& latents, const at::Tensor& context);
    // Over a modality's tokens given in parts: the context's norm and key/value projection as
    // one normed_token_projection (the tail's share computed once, not per example).
    at::Tensor forward(const at::Tensor& latents, const TokenParts& tokens);

    torch::nn::LayerNorm norm_query{nullptr}, norm_context{nullptr}, norm_ff{nullptr}, norm_self{nullptr},
        norm_self_ff{nullptr};
    PerceiverAttention cross{nullptr}, self{nullptr};
    GegluFeedForward ff{nullptr}, self_ff{nullptr};

private:
    // Everything after the cross-attention's residual: feed-forward, latent self-attention.
    at::Tensor latent_stage(at::Tensor x);
};
TORCH_MODULE(PerceiverLayer);

class HighMmtNetworkImpl : public torch::nn::Module {
public:
    HighMmtNetworkImpl(const ModelConfig& config, const std::vector<TaskSpec>& tasks);

    // inputs: one tensor per modality of the task, [batch, ...shape]; returns the head's outputs.
    at::Tensor forward(std::size_t task, const std::vector<at::Tensor>& inputs);
    // One modality's tokens, [batch, tokens, width], in two parts: the data [batch, tokens,
    // channels] and the tail every example shares (zero padding, Fourier features, code).
    TokenParts token_parts(std::size_t task, std::size_t modality, const at::Tensor& input) const;

    const HighMmtLayout& layout() const { return layout_; }

    at::Tensor latents;                           // [latents, latent_dim]
    torch::nn::ModuleList unimodal{nullptr};      // PerceiverLayer over tokens, shared by all modalities
    torch::nn::ModuleList pairs{nullptr};         // PerceiverLayer over latents, shared by all pairs
    std::vector<torch::nn::LayerNorm> head_norms;
    std::vector<torch::nn::Linear> heads;

private:
    ModelConfig config_;
    HighMmtLayout layout_;
    std::vector<std::vector<at::Tensor>> tails_;  // per task and modality: [tokens, width - channels]
};
TORCH_MODULE(HighMmtNetwork);

// The head input width of a task with `modalities` modalities: latent_dim per ordered pair, or
// for one modality latents * latent_dim (flatten) or latent_dim (mean).
std::int64_t highmmt_head_inputs(const ModelConfig& config, std::size_t modalities);

}  // namespace sm4
