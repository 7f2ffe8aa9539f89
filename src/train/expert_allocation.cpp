#include "train/expert_allocation.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sm4 {

SlotAllocation allocation_step(SlotAllocation s, double loss, double min_improvement, std::int64_t max_k) {
    if (s.frozen || !std::isfinite(loss)) return s;
    if (loss < s.best * (1.0 - min_improvement) || !std::isfinite(s.best)) {  // Algorithm 3, lines 19-20
        s.best = loss;
        s.improved = true;
    } else if (s.improved) {  // lines 15-16: grow, unless there is nothing left to grow into
        if (s.k < max_k) {
            ++s.k;
            s.improved = false;
        } else {
            s.frozen = true;
        }
    } else {  // lines 11-13 and 22-23: the growth did not help: step back and stop
        s.k = std::max<std::int64_t>(1, s.k - 1);
        s.frozen = true;
    }
    return s;
}

ExpertAllocationImpl::ExpertAllocationImpl(const std::vector<std::int64_t>& start_k, const AeaConfig& config,
                                           std::int64_t max_k)
    : config_(config), max_k_(max_k) {
    const auto n = static_cast<std::int64_t>(start_k.size());
    k = register_buffer("k", at::tensor(start_k, at::kLong));
    best = register_buffer("best", at::full({n}, std::numeric_limits<double>::infinity(), at::kDouble));
    improved = register_buffer("improved", at::ones({n}, at::kLong));
    frozen_ = register_buffer("frozen", at::zeros({n}, at::kLong));
}

void ExpertAllocationImpl::after_epoch(const std::vector<double>& val_loss) {
    for (std::size_t j = 0; j < val_loss.size(); ++j) {
        const auto i = static_cast<std::int64_t>(j);
        SlotAllocation s{k[i].item<std::int64_t>(), best[i].item<double>(), improved[i].item<std::int64_t>() != 0,
                         frozen_[i].item<std::int64_t>() != 0};
        s = allocation_step(s, val_loss[j], config_.min_improvement, max_k_);
        k[i] = s.k;
        best[i] = s.best;
        improved[i] = static_cast<std::int64_t>(s.improved);
        frozen_[i] = static_cast<std::int64_t>(s.frozen);
    }
}

std::vector<std::int64_t> ExpertAllocationImpl::top_k() const {
    const at::Tensor c = k.to(at::kCPU).contiguous();
    return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

std::vector<bool> ExpertAllocationImpl::frozen() const {
    std::vector<bool> out;
    for (std::int64_t i = 0; i < frozen_.numel(); ++i) out.push_back(frozen_[i].item<std::int64_t>() != 0);
    return out;
}

}  // namespace sm4
