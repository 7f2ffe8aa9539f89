// HighMMT's network (Liang et al., "High-Modality Multimodal Transformer"), as the public code of
// pliang279/HighMMT builds it (private_test_scripts/perceivers/crossattnperceiver.py with the
// multi-modality fork of perceiver-pytorch): the unimodal encoder every backbone shares
// (model/encoder/unimodal_encoder.h, built with HighMMT's layers); for every ordered pair (i, j)
// of a task's modalities the latents of i attend to those of j (cross-modal stage) and the pair
// gives its last latent; per task LayerNorm + Linear over the pair outputs. docs/highmmt.md maps
// each part to the file it follows.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "core/config.h"
#include "model/encoder/unimodal_encoder.h"
#include "model/task_spec.h"

namespace sm4 {

class HighMmtNetworkImpl : public torch::nn::Module {
public:
    HighMmtNetworkImpl(const ModelConfig& config, const std::vector<TaskSpec>& tasks);

    // inputs: one tensor per modality of the task, [batch, ...shape]; returns the head's outputs.
    at::Tensor forward(std::size_t task, const std::vector<at::Tensor>& inputs);

    UnimodalEncoder encoder{nullptr};              // HighMMT's unimodal stage
    torch::nn::ModuleList pairs{nullptr};         // PerceiverLayer over latents, shared by all pairs
    std::vector<torch::nn::LayerNorm> head_norms;
    std::vector<torch::nn::Linear> heads;

private:
    ModelConfig config_;
    std::vector<bool> binary_;  // per task
};
TORCH_MODULE(HighMmtNetwork);

// The head input width of a task with `modalities` modalities: latent_dim per ordered pair, or
// for one modality latents * latent_dim (flatten) or latent_dim (mean).
std::int64_t highmmt_head_inputs(const ModelConfig& config, std::size_t modalities);

}  // namespace sm4
