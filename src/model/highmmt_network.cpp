#include "model/highmmt_network.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/fused_attention.h"
#include "model/gelu.h"
#include "model/token_projection.h"

namespace sm4 {
namespace {

torch::nn::LayerNorm layer_norm(std::int64_t dim) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})); }

// [batch, ...shape] -> [batch, tokens, channels] in the layout's token order.
at::Tensor raw_tokens(const at::Tensor& x, const TokenLayout& layout) {
    const std::int64_t batch = x.size(0);
    switch (layout.rule) {
    case TokenRule::Pixels: return x.flatten(2).transpose(1, 2);  // [B, C, H, W] -> [B, H*W, C]
    case TokenRule::Steps: return x;
    case TokenRule::Elements:
    case TokenRule::Flatten: return x.reshape({batch, -1, 1});
    case TokenRule::One: return x.reshape({batch, 1, -1});
    case TokenRule::Patches: {
        const std::int64_t c = x.size(1), p = layout.patch, rows = layout.axes[0], cols = layout.axes[1];
        return x.reshape({batch, c, rows, p, cols, p}).permute({0, 2, 4, 1, 3, 5}).reshape({batch, rows * cols, c * p * p});
    }
    }
    return x;
}

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

PerceiverLayerImpl::PerceiverLayerImpl(const ModelConfig& c, std::int64_t context_dim, std::int64_t heads, std::int64_t head_dim) {
    const std::int64_t d = c.latent_dim, hidden = c.latent_dim * c.ff_mult;
    norm_query = register_module("norm_query", layer_norm(d));
    norm_context = register_module("norm_context", layer_norm(context_dim));
    cross = register_module("cross", PerceiverAttention(d, context_dim, heads, head_dim));
    norm_ff = register_module("norm_ff", layer_norm(d));
    ff = register_module("ff", GegluFeedForward(d, hidden));
    norm_self = register_module("norm_self", layer_norm(d));
    self = register_module("self", PerceiverAttention(d, d, c.latent_heads, c.latent_head_dim));
    norm_self_ff = register_module("norm_self_ff", layer_norm(d));
    self_ff = register_module("self_ff", GegluFeedForward(d, hidden));
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
    x = ff(norm_ff(x)) + x;
    const at::Tensor normed = norm_self(x);
    at::Tensor y = self(normed, normed) + x;
    y = self_ff(norm_self_ff(y)) + y;
    return y + x;  // crossattnperceiver.py adds x again around the latent transformer
}

std::int64_t highmmt_head_inputs(const ModelConfig& c, std::size_t modalities) {
    const auto m = static_cast<std::int64_t>(modalities);
    if (m >= 2) return c.latent_dim * m * (m - 1);
    return c.single_modality == SingleModality::Mean ? c.latent_dim : c.latents * c.latent_dim;
}

HighMmtNetworkImpl::HighMmtNetworkImpl(const ModelConfig& config, const std::vector<TaskSpec>& tasks)
    : config_(config), layout_(highmmt_layout(config, tasks)) {
    latents = register_parameter("latents", at::randn({config.latents, config.latent_dim}));
    unimodal = register_module("unimodal", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.unimodal_depth; ++i)
        unimodal->push_back(PerceiverLayer(config, layout_.width, config.cross_heads, config.cross_head_dim));
    pairs = register_module("pairs", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.cross_depth; ++i)
        pairs->push_back(PerceiverLayer(config, config.latent_dim, config.pair_heads, config.pair_head_dim));
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const std::int64_t width = highmmt_head_inputs(config, tasks[t].modalities.size());
        head_norms.push_back(register_module("head_norm_" + std::to_string(t), layer_norm(width)));
        heads.push_back(register_module("head_" + std::to_string(t), torch::nn::Linear(width, tasks[t].head_outputs())));
        tails_.emplace_back();
        for (std::size_t m = 0; m < tasks[t].modalities.size(); ++m) {
            const TokenLayout& l = layout_.tasks[t][m];
            auto values = highmmt_token_tail(l, layout_);
            const at::Tensor tail = at::from_blob(values.data(), {l.tokens(), layout_.width - l.channels}, at::kFloat).clone();
            tails_.back().push_back(register_buffer("tail_" + std::to_string(t) + "_" + std::to_string(m), tail));
        }
    }
}

TokenParts HighMmtNetworkImpl::token_parts(std::size_t task, std::size_t modality, const at::Tensor& input) const {
    const at::Tensor& tail = tails_[task][modality];
    return {raw_tokens(input, layout_.tasks[task][modality]).to(tail.dtype()), tail};
}

at::Tensor HighMmtNetworkImpl::forward(std::size_t task, const std::vector<at::Tensor>& inputs) {
    const std::int64_t batch = inputs.at(0).size(0);
    std::vector<at::Tensor> encoded;  // per modality: [batch, latents, latent_dim]
    for (std::size_t m = 0; m < inputs.size(); ++m) {
        const TokenParts t = token_parts(task, m, inputs[m]);
        at::Tensor x = latents.unsqueeze(0).expand({batch, latents.size(0), latents.size(1)});
        for (std::size_t i = 0; i < unimodal->size(); ++i) x = unimodal->ptr<PerceiverLayerImpl>(i)->forward(x, t);
        encoded.push_back(x);
    }
    at::Tensor features;
    const auto modalities = encoded.size();
    if (modalities >= 2) {
        // Every ordered pair (i, j), i != j, in loop order, run as one batch of pairs.
        std::vector<at::Tensor> queries, contexts;
        for (std::size_t i = 0; i < modalities; ++i)
            for (std::size_t j = 0; j < modalities; ++j)
                if (i != j) {
                    queries.push_back(encoded[i]);
                    contexts.push_back(encoded[j]);
                }
        const auto pair_count = static_cast<std::int64_t>(queries.size());
        at::Tensor x = at::cat(queries, 0), context = at::cat(contexts, 0);  // [pairs * batch, latents, d]
        for (std::size_t i = 0; i < pairs->size(); ++i) x = pairs->ptr<PerceiverLayerImpl>(i)->forward(x, context);
        const at::Tensor last = x.select(1, x.size(1) - 1);  // [pairs * batch, d]: each pair's last latent
        features = last.view({pair_count, batch, -1}).transpose(0, 1).reshape({batch, -1});
    } else {
        features = config_.single_modality == SingleModality::Mean ? encoded[0].mean(1) : encoded[0].reshape({batch, -1});
    }
    return heads[task](head_norms[task](features));
}

}  // namespace sm4
