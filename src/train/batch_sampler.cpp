#include "train/batch_sampler.h"

#include <ATen/ATen.h>

#include <numeric>

#include "core/random.h"

namespace sm4 {

BatchSampler::BatchSampler(std::vector<std::int64_t> sizes, std::int64_t batch_size, std::uint64_t seed, Sampling sampling)
    : sizes_(std::move(sizes)), batch_size_(batch_size), seed_(seed), proportional_(sampling == Sampling::Proportional),
      permutations_(sizes_.size(), {-1, at::Tensor()}) {}

std::vector<std::size_t> BatchSampler::tasks_for_step(std::int64_t global_step) const {
    if (!proportional_) {
        std::vector<std::size_t> all(sizes_.size());
        std::iota(all.begin(), all.end(), 0);
        return all;
    }
    Rng rng(derive_seed(seed_ ^ static_cast<std::uint64_t>(global_step) * 0x9e3779b97f4a7c15ULL, "task-choice"));
    const double total = static_cast<double>(std::accumulate(sizes_.begin(), sizes_.end(), std::int64_t{0}));
    double u = rng.uniform() * total;
    for (std::size_t t = 0; t < sizes_.size(); ++t) {
        u -= static_cast<double>(sizes_[t]);
        if (u < 0) return {t};
    }
    return {sizes_.size() - 1};
}

at::Tensor BatchSampler::batch(std::size_t task, std::int64_t counter) {
    const std::int64_t size = sizes_[task];
    const std::int64_t n = std::min(batch_size_, size);
    const std::int64_t per_pass = std::max<std::int64_t>(size / n, 1);  // the last partial batch is skipped
    const std::int64_t pass = counter / per_pass;
    auto& [cached_pass, permutation] = permutations_[task];
    if (cached_pass != pass) {
        std::vector<std::int64_t> order(static_cast<std::size_t>(size));
        std::iota(order.begin(), order.end(), 0);
        Rng rng(derive_seed(seed_ + 1000003ULL * task + static_cast<std::uint64_t>(pass) * 0x9e3779b97f4a7c15ULL, "batches"));
        rng.shuffle(order);
        permutation = at::tensor(order, at::kLong);
        cached_pass = pass;
    }
    return permutation.narrow(0, (counter % per_pass) * n, n);
}

std::int64_t BatchSampler::default_steps_per_epoch() const {
    std::int64_t largest = 1, total = 0;
    for (auto size : sizes_) {
        const std::int64_t batches = std::max<std::int64_t>(size / std::min(batch_size_, size), 1);
        largest = std::max(largest, batches);
        total += batches;
    }
    return proportional_ ? total : largest;
}

}  // namespace sm4
