// Per-modality tokenizers: images (and spectrograms) to patch tokens with a convolutional patch
// embedding, sequences to one token per step, tables to one token per feature. Each adds
// position features (learned, or fixed Fourier features projected as in HighMMT) and a learned
// modality embedding.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "model/task_spec.h"

namespace sm4 {

struct TokenizerSettings {
    std::int64_t d_model = 64;
    std::int64_t patch_size = 0;   // 0: ceil(side / image_grid)
    std::int64_t image_grid = 4;
    bool fourier = false;
    std::int64_t fourier_bands = 8;
};

class ModalityTokenizerImpl : public torch::nn::Module {
public:
    ModalityTokenizerImpl(const ModalitySpec& spec, const TokenizerSettings& settings);
    at::Tensor forward(const at::Tensor& x);  // [batch, ...shape] -> [batch, tokens, d_model]
    std::int64_t tokens() const { return tokens_; }

private:
    torch::nn::Conv2d patches{nullptr};        // rank-3 examples [C, H, W]
    torch::nn::Linear steps{nullptr};          // rank-2 examples [T, D]
    at::Tensor feature_weight, feature_bias;   // rank-1 examples [D]: [D, d_model] each
    at::Tensor position;                       // learned: [tokens, d_model]
    at::Tensor fourier_features;               // fourier: [tokens, features] (buffer)
    torch::nn::Linear fourier_projection{nullptr};
    at::Tensor modality_embedding;             // [d_model]
    std::int64_t tokens_ = 0;
};
TORCH_MODULE(ModalityTokenizer);

// Fixed Fourier position features of a grid of the given axis sizes: for each axis the
// coordinate in [-1, 1] and sin/cos of pi * f * coordinate for `bands` frequencies f from 1 to
// size / 2. Returns [product(sizes), axes * (2 * bands + 1)].
at::Tensor fourier_position_features(const std::vector<std::int64_t>& sizes, std::int64_t bands);

}  // namespace sm4
