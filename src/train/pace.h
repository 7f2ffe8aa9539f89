// Adaptive learning pace (ALP): per modality group, a multiplier that slows a group whose routing
// has settled and speeds up one whose routing is still moving, so the modalities converge
// together. The signal is the group's routing entropy (normalised, averaged over layers); its
// exponential moving average m_j and the moving average v_j of |m_j(t) - m_j(t-1)| (how fast the
// routing still changes) give p_j = clamp((v_j / mean_k v_k)^gain, min, max), the mean taken
// over the groups with a signal (two windows seen); the others, and every group until two
// groups have a signal, keep 1. See the README ("Adaptive learning pace").
#pragma once

#include <torch/nn/module.h>

#include <vector>

#include "core/config.h"

namespace sm4 {

class PaceControllerImpl : public torch::nn::Module {
public:
    PaceControllerImpl(std::size_t groups, const PaceConfig& config);
    // entropy: this window's mean routing entropy per group; NaN for a group with no tokens
    // (its state is left as it was).
    void update(const std::vector<double>& entropy);
    std::vector<double> multipliers() const;

    at::Tensor average, rate, seen;  // buffers [groups]: m_j, v_j, updates seen

private:
    PaceConfig config_;
};
TORCH_MODULE(PaceController);

}  // namespace sm4
