#include "train/learning_pace.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sm4 {

std::vector<double> pace_weights(const std::vector<double>& entropy, bool normalize) {
    std::vector<double> w(entropy.size(), std::numeric_limits<double>::quiet_NaN());
    double peak = -std::numeric_limits<double>::infinity();
    for (double h : entropy)
        if (std::isfinite(h)) peak = std::max(peak, h);
    if (!std::isfinite(peak)) return w;
    double sum = 0.0;
    for (double h : entropy)
        if (std::isfinite(h)) sum += std::exp(h - peak);
    double total = 0.0;
    std::size_t counted = 0;
    for (std::size_t j = 0; j < entropy.size(); ++j) {
        if (!std::isfinite(entropy[j])) continue;
        w[j] = 1.0 - std::exp(entropy[j] - peak) / sum;
        total += w[j];
        ++counted;
    }
    if (normalize && total > 0)
        for (auto& v : w)
            if (std::isfinite(v)) v *= static_cast<double>(counted) / total;
    return w;
}

LearningPaceImpl::LearningPaceImpl(std::size_t slots, const PaceConfig& config) : config_(config) {
    weight = register_buffer("weight", at::full({static_cast<std::int64_t>(slots)}, config.start_weight, at::kDouble));
}

void LearningPaceImpl::after_epoch(const std::vector<double>& entropy) {
    const std::vector<double> next = pace_weights(entropy, config_.normalize);
    for (std::size_t j = 0; j < next.size(); ++j)
        if (std::isfinite(next[j])) weight[static_cast<std::int64_t>(j)] = next[j];
}

std::vector<double> LearningPaceImpl::weights() const {
    const at::Tensor w = weight.to(at::kCPU).contiguous();
    return {w.data_ptr<double>(), w.data_ptr<double>() + w.numel()};
}

}  // namespace sm4
