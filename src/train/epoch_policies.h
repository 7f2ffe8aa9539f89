// The epoch policies of the paper's training (Algorithm 5): after each epoch AEA (Algorithm 3,
// train/expert_allocation.h) moves each modality slot's number of activated experts from its
// validation loss, and ALP (Algorithm 4, train/learning_pace.h) sets each slot's learning-rate
// weight from its routing entropy; both decide for the next epoch. This file measures what they
// read (train/modality_losses.h), asks them, puts their decisions into the model and says what
// the epoch's row of `modality_epochs` holds. Their state lives in modules the trainer
// checkpoints, so a resumed run takes the same path.
#pragma once

#include <torch/nn/module.h>

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/results_db.h"
#include "model/multitask_model.h"
#include "platform/process_group.h"
#include "train/expert_allocation.h"
#include "train/learning_pace.h"
#include "train/task_data.h"

namespace sm4 {

struct EpochOutcome {
    std::vector<ModalityEpochRecord> rows;  // one per slot, to store (run_id left 0)
    std::vector<std::string> changes;       // AEA's moves and ALP's weights, printable
    std::optional<std::string> diverged;    // "task/modality" whose validation loss is not finite
};

class EpochPolicies {
public:
    EpochPolicies(const Config& config, MultitaskModel& model, const std::vector<TaskData>& tasks);

    // The modules whose buffers hold AEA's and ALP's state (for the checkpoint's extras).
    ExpertAllocation allocation{nullptr};
    LearningPace pace{nullptr};

    // Whether the run measures and records each slot every epoch (AEA, ALP or
    // train.modality_records).
    bool records() const;
    // Puts the current k and weights into the model (after construction and after a resume).
    void apply(MultitaskModel& model) const;
    // A task's loss factor: the mean ALP weight of its slots with pace.mechanism "loss", else 1.
    double task_loss_factor(std::size_t task) const;
    std::vector<double> weights() const;

    // After epoch `epoch` (1-based, ending at global `step`): measures the slots of the tasks
    // trained (active), lets AEA and ALP decide, applies the decisions. entropy: each slot's
    // routing entropy over the epoch, normalised by log(experts) (RunTrace::take_epoch_entropy).
    // val_losses: each task's validation loss with every modality present (the epoch's
    // evaluation), so it is not measured twice.
    EpochOutcome after_epoch(MultitaskModel& model, const std::vector<TaskData>& tasks, const std::vector<double>& val_losses,
                             const std::vector<bool>& active,
                             const std::vector<double>& entropy, std::int64_t epoch, std::int64_t step,
                             const at::Device& device, ProcessGroup* group);

private:
    Config config_;
    std::vector<std::string> slots_;
    std::vector<std::vector<std::size_t>> task_slots_;
    std::vector<at::Tensor> train_rows_;  // the fixed training subset of every task
};

}  // namespace sm4
