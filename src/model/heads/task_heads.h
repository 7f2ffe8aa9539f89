// The task heads (Tables 15-17, "BatchNorm follow a Linear layer"): each modality's latents pooled
// to one latent_dim-wide vector, concatenated in the task's modality order (64 x modalities
// wide), normed, then a Linear to the task's outputs.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/config.h"
#include "model/heads/batch_norm.h"
#include "model/layer_plan.h"
#include "model/task_spec.h"

namespace sm4 {

// logits [batch, head_width] -> the task's output [batch, head_outputs]: a binary head of two
// logits gives z1 - z0, whose sigmoid is the two-class softmax's second entry, so the binary
// cross-entropy on it is the cross-entropy over the two classes.
at::Tensor as_task_output(const at::Tensor& logits, bool binary);

// latents [batch, N, C] -> [batch, C] as model.head_pooling says.
at::Tensor pool_latents(const at::Tensor& latents, Pooling pooling);

class TaskHeadImpl : public torch::nn::Module {
public:
    TaskHeadImpl(const TaskSpec& task, const ModelConfig& config);
    at::Tensor forward(const at::Tensor& features);  // [batch, latent_dim * modalities] -> task output

    BatchNorm batch_norm{nullptr};          // head_norm "batchnorm"
    torch::nn::LayerNorm layer_norm{nullptr};  // head_norm "layernorm"
    torch::nn::Linear linear{nullptr};

private:
    bool binary_;
};
TORCH_MODULE(TaskHead);

}  // namespace sm4
