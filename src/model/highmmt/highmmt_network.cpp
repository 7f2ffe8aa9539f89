#include "model/highmmt/highmmt_network.h"

#include <ATen/ATen.h>

#include "model/encoder/perceiver_layer.h"
#include "model/heads/task_heads.h"

namespace sm4 {

std::int64_t highmmt_head_inputs(const ModelConfig& c, std::size_t modalities) {
    const auto m = static_cast<std::int64_t>(modalities);
    if (m >= 2) return c.latent_dim * m * (m - 1);
    return c.single_modality == SingleModality::Mean ? c.latent_dim : c.latents * c.latent_dim;
}

HighMmtNetworkImpl::HighMmtNetworkImpl(const ModelConfig& config, const std::vector<TaskSpec>& tasks) : config_(config) {
    for (const auto& t : tasks) binary_.push_back(t.type == TaskType::Binary);
    encoder = register_module("encoder", UnimodalEncoder(config, tasks));
    pairs = register_module("pairs", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.cross_depth; ++i)
        pairs->push_back(PerceiverLayer(highmmt_layer_options(config, config.latent_dim, config.pair_heads, config.pair_head_dim)));
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const std::int64_t width = highmmt_head_inputs(config, tasks[t].modalities.size());
        head_norms.push_back(register_module("head_norm_" + std::to_string(t), torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}))));
        heads.push_back(register_module("head_" + std::to_string(t), torch::nn::Linear(width, head_width(tasks[t], config))));
    }
}

at::Tensor HighMmtNetworkImpl::forward(std::size_t task, const std::vector<at::Tensor>& inputs) {
    const std::int64_t batch = inputs.at(0).size(0);
    std::vector<at::Tensor> encoded;  // per modality: [batch, latents, latent_dim]
    for (std::size_t m = 0; m < inputs.size(); ++m) encoded.push_back(encoder->forward(task, m, inputs[m]));
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
    return as_task_output(heads[task](head_norms[task](features)), binary_[task]);
}

}  // namespace sm4
