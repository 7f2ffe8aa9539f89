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
    // sizes: train examples per task; batch_sizes: one per task. Proportional: one task per step,
    // drawn in proportion to its size; round robin: every task every step, smaller tasks cycled;
    // highmmt: HighMMT's loop, in-epoch step s (of the largest task's batch count S) holds every
    // task with more than S - 1 - s batches, so the steps of the longest task alone come first
    // and smaller tasks are never cycled.
    // epoch_steps: train.steps_per_epoch (0 = the default); highmmt keeps the last epoch_steps
    // steps of its reversed list, so every task still appears in each epoch.
    // rank, world: data-parallel training draws global batches of world x batch size, the same
    // ones one process with that batch would draw, and rank r takes their r-th contiguous share.
    BatchSampler(std::vector<std::int64_t> sizes, std::vector<std::int64_t> batch_sizes, std::uint64_t seed,
                 Sampling sampling, std::int64_t epoch_steps = 0, int rank = 0, int world = 1);

    std::vector<std::size_t> tasks_for_step(std::int64_t global_step) const;
    // Indices of this rank's share of batch number `counter` of `task`: [min(world x its batch
    // size, size) / world] int64.
    at::Tensor batch(std::size_t task, std::int64_t counter);
    // Steps in one epoch: the largest task's batches (round robin) or all tasks' (proportional).
    std::int64_t default_steps_per_epoch() const;

private:
    std::vector<std::int64_t> sizes_;
    std::vector<std::int64_t> batch_sizes_;
    std::uint64_t seed_;
    Sampling sampling_;
    std::int64_t epoch_steps_;
    int rank_, world_;
    std::int64_t batches(std::size_t task) const;  // full batches in one pass over the task
    std::vector<std::pair<std::int64_t, at::Tensor>> permutations_;  // per task: (pass, permutation)
};

// Each task's batch size: train.task_batch_sizes, or train.batch_size for every task.
std::vector<std::int64_t> task_batch_sizes(const TrainConfig& train, std::size_t tasks);

}  // namespace sm4
