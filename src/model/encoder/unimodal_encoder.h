// The unimodal encoder (the paper's A.2 and Figure 5; HighMMT's unimodal stage): one learnable
// latent array, shared by every modality of every task, cross-attends to a modality's tokens
// (Algorithm 1, model/tokens/token_layout.h) and then attends to itself, so every modality leaves
// as `latents` vectors of `latent_dim`, whatever its length. Every backbone has this stage:
// highmmt builds its layers exactly as HighMMT's code does; dense, smoe and sm4 as
// model.encoder_ff and model.encoder_double_residual say.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <vector>

#include "core/config.h"
#include "model/task_spec.h"
#include "model/tokens/token_layout.h"
#include "model/tokens/token_projection.h"

namespace sm4 {

class UnimodalEncoderImpl : public torch::nn::Module {
public:
    UnimodalEncoderImpl(const ModelConfig& config, const std::vector<TaskSpec>& tasks);

    // One modality of one task: input [batch, ...shape] -> [batch, latents, latent_dim].
    at::Tensor forward(std::size_t task, std::size_t modality, const at::Tensor& input);
    // That modality's tokens, [batch, tokens, width], in two parts: the data [batch, tokens,
    // channels] and the tail every example shares (zero padding, Fourier features, code).
    TokenParts token_parts(std::size_t task, std::size_t modality, const at::Tensor& input) const;

    const TokenLayouts& layout() const { return layout_; }

    at::Tensor latents;                 // [latents, latent_dim]
    torch::nn::ModuleList layers{nullptr};  // PerceiverLayer, shared by all modalities

private:
    TokenLayouts layout_;
    std::vector<std::vector<at::Tensor>> tails_;  // per task and modality: [tokens, width - channels]
};
TORCH_MODULE(UnimodalEncoder);

}  // namespace sm4
