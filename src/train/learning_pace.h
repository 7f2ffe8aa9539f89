// ALP, the adaptive learning pace (the paper's Algorithms 4 and 5): after each epoch, with H_m
// the mean routing entropy of modality slot m's tokens over that epoch, the slots' weights for
// the next epoch are w = 1 - softmax(H), so a modality whose routing is still unsettled (high
// entropy) learns more slowly (3.2). The weights act on the gradient (model/layers/paced_linear.h:
// each shared weight's gradient sums w_m times modality m's tokens' share) or, as an option, on
// the task losses. State is a module, so checkpoints keep it.
#pragma once

#include <torch/nn/module.h>

#include <vector>

#include "core/config.h"

namespace sm4 {

// 1 - softmax(entropy) over the finite entries (the others NaN); with `normalize` rescaled to
// mean 1 over them.
std::vector<double> pace_weights(const std::vector<double>& entropy, bool normalize);

class LearningPaceImpl : public torch::nn::Module {
public:
    LearningPaceImpl(std::size_t slots, const PaceConfig& config);
    // entropy: each slot's mean routing entropy over the epoch just trained (NaN for a slot none
    // of whose tokens was routed then, a task outside a pretraining stage: its weight stays).
    void after_epoch(const std::vector<double>& entropy);
    std::vector<double> weights() const;

    at::Tensor weight;  // buffer [slots] double, the weights the next epoch trains with

private:
    PaceConfig config_;
};
TORCH_MODULE(LearningPace);

}  // namespace sm4
