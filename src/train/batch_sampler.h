// Which task(s) a training step draws from and which examples: every task walks through its own
// seeded permutations, one per pass over its data, so a step's batch depends only on the seed
// and the task's batch counter (which checkpoints store): resuming gives the same batches.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <vector>

#include "core/config.h"

namespace sm4 {

class BatchSampler {
public:
    // sizes: train examples per task. Proportional: one task per step, drawn in proportion to its
    // size; round robin: every task every step (HighMMT's scheme).
    BatchSampler(std::vector<std::int64_t> sizes, std::int64_t batch_size, std::uint64_t seed, Sampling sampling);

    std::vector<std::size_t> tasks_for_step(std::int64_t global_step) const;
    // Indices of batch number `counter` of `task`, [min(batch_size, size)] int64.
    at::Tensor batch(std::size_t task, std::int64_t counter);
    // Steps in one epoch: the largest task's batches (round robin) or all tasks' (proportional).
    std::int64_t default_steps_per_epoch() const;

private:
    std::vector<std::int64_t> sizes_;
    std::int64_t batch_size_;
    std::uint64_t seed_;
    bool proportional_;
    std::vector<std::pair<std::int64_t, at::Tensor>> permutations_;  // per task: (pass, permutation)
};

}  // namespace sm4
