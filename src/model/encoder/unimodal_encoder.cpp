#include "model/encoder/unimodal_encoder.h"

#include <ATen/ATen.h>

#include "model/encoder/perceiver_layer.h"

namespace sm4 {
namespace {

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
        const std::int64_t c = x.size(1), ph = layout.patch_rows, pw = layout.patch_cols;
        const std::int64_t rows = layout.axes[0], cols = layout.axes[1];
        return x.reshape({batch, c, rows, ph, cols, pw}).permute({0, 2, 4, 1, 3, 5}).reshape({batch, rows * cols, c * ph * pw});
    }
    }
    return x;
}

PerceiverLayerOptions encoder_layer_options(const ModelConfig& c, std::int64_t width) {
    PerceiverLayerOptions o = highmmt_layer_options(c, width, c.cross_heads, c.cross_head_dim);
    if (c.backbone != Backbone::HighMmt) {  // highmmt is HighMMT's code; the others follow the config
        o.feed_forward = c.encoder_ff == EncoderFeedForward::Geglu;
        o.double_residual = c.encoder_double_residual;
    }
    return o;
}

}  // namespace

UnimodalEncoderImpl::UnimodalEncoderImpl(const ModelConfig& config, const std::vector<TaskSpec>& tasks)
    : layout_(token_layouts(config, tasks)) {
    latents = register_parameter("latents", at::randn({config.latents, config.latent_dim}));
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.unimodal_depth; ++i) layers->push_back(PerceiverLayer(encoder_layer_options(config, layout_.width)));
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        tails_.emplace_back();
        for (std::size_t m = 0; m < tasks[t].modalities.size(); ++m) {
            const TokenLayout& l = layout_.tasks[t][m];
            auto values = token_tail(l, layout_);
            const at::Tensor tail = at::from_blob(values.data(), {l.tokens(), layout_.width - l.channels}, at::kFloat).clone();
            tails_.back().push_back(register_buffer("tail_" + std::to_string(t) + "_" + std::to_string(m), tail));
        }
    }
}

TokenParts UnimodalEncoderImpl::token_parts(std::size_t task, std::size_t modality, const at::Tensor& input) const {
    const at::Tensor& tail = tails_[task][modality];
    return {raw_tokens(input, layout_.tasks[task][modality]).to(tail.dtype()), tail};
}

at::Tensor UnimodalEncoderImpl::forward(std::size_t task, std::size_t modality, const at::Tensor& input) {
    const TokenParts t = token_parts(task, modality, input);
    const std::int64_t batch = input.size(0);
    at::Tensor x = latents.unsqueeze(0).expand({batch, latents.size(0), latents.size(1)});
    for (std::size_t i = 0; i < layers->size(); ++i) x = layers->ptr<PerceiverLayerImpl>(i)->forward(x, t);
    return x;
}

}  // namespace sm4
