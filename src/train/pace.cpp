#include "train/pace.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace sm4 {

PaceControllerImpl::PaceControllerImpl(std::size_t groups, const PaceConfig& config) : config_(config) {
    const auto n = static_cast<std::int64_t>(groups);
    average = register_buffer("average", at::zeros({n}, at::kDouble));
    rate = register_buffer("rate", at::zeros({n}, at::kDouble));
    seen = register_buffer("seen", at::zeros({n}, at::kLong));
}

void PaceControllerImpl::update(const std::vector<double>& entropy) {
    const double beta = config_.beta;
    for (std::size_t j = 0; j < entropy.size(); ++j) {
        if (std::isnan(entropy[j])) continue;
        const auto i = static_cast<std::int64_t>(j);
        const auto count = seen[i].item<std::int64_t>();
        const double m = average[i].item<double>();
        const double next = count == 0 ? entropy[j] : beta * m + (1 - beta) * entropy[j];
        if (count == 1) rate[i] = std::abs(next - m);
        else if (count > 1) rate[i] = beta * rate[i].item<double>() + (1 - beta) * std::abs(next - m);
        average[i] = next;
        seen[i] = count + 1;
    }
}

std::vector<double> PaceControllerImpl::multipliers() const {
    // Only groups with a routing signal (two windows seen) are paced; the rest keep 1 (a group
    // of one expert, for instance, makes no routing decision at all).
    const auto groups = static_cast<std::size_t>(rate.size(0));
    std::vector<double> p(groups, 1.0);
    std::vector<std::size_t> paced;
    double sum = 0.0;
    for (std::size_t j = 0; j < groups; ++j) {
        if (seen[static_cast<std::int64_t>(j)].item<std::int64_t>() < 2) continue;
        paced.push_back(j);
        sum += rate[static_cast<std::int64_t>(j)].item<double>();
    }
    if (paced.size() < 2 || !(sum > 0)) return p;
    const double mean = sum / static_cast<double>(paced.size());
    for (auto j : paced) {
        const double relative = rate[static_cast<std::int64_t>(j)].item<double>() / mean;
        p[j] = std::clamp(std::pow(relative, config_.gain), config_.min, config_.max);
    }
    return p;
}

}  // namespace sm4
