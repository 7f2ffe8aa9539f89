#include "model/heads/task_heads.h"

#include <ATen/ATen.h>

namespace sm4 {

at::Tensor as_task_output(const at::Tensor& logits, bool binary) {
    if (!binary || logits.size(1) != 2) return logits;
    return logits.narrow(1, 1, 1) - logits.narrow(1, 0, 1);
}

at::Tensor pool_latents(const at::Tensor& latents, Pooling pooling) {
    switch (pooling) {
    case Pooling::Mean: return latents.mean(1);
    case Pooling::First: return latents.select(1, 0);
    case Pooling::Last: return latents.select(1, latents.size(1) - 1);
    }
    return latents.mean(1);
}

TaskHeadImpl::TaskHeadImpl(const TaskSpec& task, const ModelConfig& c) : binary_(task.type == TaskType::Binary) {
    const std::int64_t inputs = c.d_model * static_cast<std::int64_t>(task.modalities.size());
    if (c.head_norm == HeadNorm::BatchNorm) batch_norm = register_module("batch_norm", BatchNorm(inputs));
    if (c.head_norm == HeadNorm::LayerNorm)
        layer_norm = register_module("layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({inputs})));
    linear = register_module("linear", torch::nn::Linear(inputs, head_width(task, c)));
}

at::Tensor TaskHeadImpl::forward(const at::Tensor& features) {
    at::Tensor x = features;
    if (batch_norm) x = batch_norm(x);
    if (layer_norm) x = layer_norm(x);
    return as_task_output(linear(x), binary_);
}

}  // namespace sm4
