#include "train/batch_sampler.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <numeric>

#include "core/random.h"

namespace sm4 {

BatchSampler::BatchSampler(std::vector<std::int64_t> sizes, std::vector<std::int64_t> batch_sizes, std::uint64_t seed,
                           Sampling sampling, std::int64_t epoch_steps, int rank, int world)
    : sizes_(std::move(sizes)), batch_sizes_(std::move(batch_sizes)), seed_(seed), sampling_(sampling), epoch_steps_(epoch_steps),
      rank_(rank), world_(world), permutations_(sizes_.size(), {-1, at::Tensor()}) {
    for (auto& b : batch_sizes_) b *= world_;  // global batches
}

std::int64_t BatchSampler::batches(std::size_t task) const {
    const std::int64_t size = sizes_[task];
    return std::max<std::int64_t>(size / std::max<std::int64_t>(std::min(batch_sizes_[task], size), 1), 1);
}

std::vector<std::size_t> BatchSampler::tasks_for_step(std::int64_t global_step) const {
    if (sampling_ == Sampling::HighMmt) {
        // HighMMT's reversed step list: position from_end holds the tasks with more batches than
        // that; an epoch longer than the list goes round it again.
        const std::int64_t natural = default_steps_per_epoch();
        const std::int64_t steps = epoch_steps_ > 0 ? epoch_steps_ : natural;
        const std::int64_t from_end = (steps - 1 - global_step % steps) % natural;
        std::vector<std::size_t> present;
        for (std::size_t t = 0; t < sizes_.size(); ++t)
            if (batches(t) > from_end) present.push_back(t);
        return present;
    }
    if (sampling_ == Sampling::RoundRobin) {
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
    const std::int64_t n = std::min(batch_sizes_[task], size);
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
    const std::int64_t share = std::max<std::int64_t>(n / world_, 1);
    return permutation.narrow(0, (counter % per_pass) * n + (rank_ % std::max<std::int64_t>(n / share, 1)) * share, share);
}

std::int64_t BatchSampler::default_steps_per_epoch() const {
    std::int64_t largest = 1, total = 0;
    for (std::size_t t = 0; t < sizes_.size(); ++t) {
        largest = std::max(largest, batches(t));
        total += batches(t);
    }
    return sampling_ == Sampling::Proportional ? total : largest;
}

std::vector<std::int64_t> task_batch_sizes(const TrainConfig& train, std::size_t tasks) {
    if (!train.task_batch_sizes.empty()) return train.task_batch_sizes;
    return std::vector<std::int64_t>(tasks, train.batch_size);
}

}  // namespace sm4
