#include "train/training_stages.h"

#include <algorithm>

namespace sm4 {

TrainingStages::TrainingStages(const Config& config, const std::vector<TaskData>& tasks, int rank, int world)
    : task_count_(tasks.size()) {
    const auto seed = static_cast<std::uint64_t>(config.train.seed);
    const auto batch_sizes = task_batch_sizes(config.train, tasks.size());
    std::vector<std::int64_t> sizes;
    for (const auto& t : tasks) sizes.push_back(t.train.size());
    main_ = std::make_unique<BatchSampler>(sizes, batch_sizes, seed, config.train.sampling, config.train.steps_per_epoch, rank, world);
    epochs_ = config.train.epochs;
    steps_ = config.train.steps_per_epoch > 0 ? config.train.steps_per_epoch : main_->default_steps_per_epoch();
    for (const auto& name : config.train.pretrain_tasks)
        for (std::size_t t = 0; t < tasks.size(); ++t)
            if (tasks[t].spec.name == name) pretrain_tasks_.push_back(t);
    if (pretrain_tasks_.empty()) return;
    std::vector<std::int64_t> subset_sizes, subset_batches;
    for (auto t : pretrain_tasks_) {
        subset_sizes.push_back(sizes[t]);
        subset_batches.push_back(batch_sizes[t]);
    }
    pretrain_ = std::make_unique<BatchSampler>(subset_sizes, subset_batches, seed + 1, config.train.sampling,
                                               config.train.steps_per_epoch, rank, world);
    pretrain_epochs_ = config.train.pretrain_epochs;
    pretrain_steps_ = config.train.steps_per_epoch > 0 ? config.train.steps_per_epoch : pretrain_->default_steps_per_epoch();
}

std::vector<bool> TrainingStages::active(std::int64_t epoch) const {
    if (!pretraining(epoch)) return std::vector<bool>(task_count_, true);
    std::vector<bool> out(task_count_, false);
    for (auto t : pretrain_tasks_) out[t] = true;
    return out;
}

std::vector<std::size_t> TrainingStages::tasks_for_step(std::int64_t epoch, std::int64_t global_step) const {
    if (!pretraining(epoch)) return main_->tasks_for_step(global_step);
    std::vector<std::size_t> tasks;
    for (auto i : pretrain_->tasks_for_step(global_step)) tasks.push_back(pretrain_tasks_[i]);
    return tasks;
}

at::Tensor TrainingStages::batch(std::int64_t epoch, std::size_t task, std::int64_t counter) {
    if (!pretraining(epoch)) return main_->batch(task, counter);
    const auto at = std::find(pretrain_tasks_.begin(), pretrain_tasks_.end(), task) - pretrain_tasks_.begin();
    return pretrain_->batch(static_cast<std::size_t>(at), counter);
}

}  // namespace sm4
