// A run's stages: train.pretrain_tasks trained alone for train.pretrain_epochs epochs (the
// medium group's PUSH, Table 16), then every task for train.epochs. Epochs count on across the
// stages (the pretraining's are the first), each stage drawing its batches from its own sampler
// over its tasks; the batch counters are the run's, so a resume lands on the same batches.
#pragma once

#include <memory>
#include <vector>

#include "core/config.h"
#include "train/batch_sampler.h"
#include "train/task_data.h"

namespace sm4 {

class TrainingStages {
public:
    // rank, world: as BatchSampler's.
    TrainingStages(const Config& config, const std::vector<TaskData>& tasks, int rank, int world);

    // `epoch` counts the epochs completed before it (0-based).
    bool pretraining(std::int64_t epoch) const { return epoch < pretrain_epochs_; }
    std::int64_t steps_in(std::int64_t epoch) const { return pretraining(epoch) ? pretrain_steps_ : steps_; }
    std::int64_t total_epochs() const { return pretrain_epochs_ + epochs_; }
    std::int64_t total_steps() const { return pretrain_epochs_ * pretrain_steps_ + epochs_ * steps_; }
    // The tasks an epoch trains (all but the pretraining's outside its stage).
    std::vector<bool> active(std::int64_t epoch) const;

    // The tasks (indices into data.tasks) of a global step of `epoch`, and a task's batch.
    std::vector<std::size_t> tasks_for_step(std::int64_t epoch, std::int64_t global_step) const;
    at::Tensor batch(std::int64_t epoch, std::size_t task, std::int64_t counter);

private:
    std::size_t task_count_ = 0;
    std::int64_t pretrain_epochs_ = 0, epochs_ = 0, pretrain_steps_ = 0, steps_ = 0;
    std::vector<std::size_t> pretrain_tasks_;       // indices into data.tasks
    std::unique_ptr<BatchSampler> main_, pretrain_;
};

}  // namespace sm4
