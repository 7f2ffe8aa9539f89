// A modality slot's loss, as AEA reads it after each epoch (the paper's "validation loss for
// each modality", undefined there for tasks of several modalities): by default its task's loss
// with only that modality present (aea.modality_loss = "alone"; a task of one modality: its
// loss), or the task's loss shared by its modalities ("task"); on the validation split, and on a
// fixed training subset for the generalisation gap (Figure 2c).
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "core/config.h"
#include "model/multitask_model.h"
#include "platform/process_group.h"
#include "train/task_data.h"

namespace sm4 {

// Per task, `examples` indices of its training split drawn once from `seed` (all of them when
// it has fewer), in increasing order.
std::vector<at::Tensor> training_subset(const std::vector<TaskData>& tasks, std::int64_t examples, std::uint64_t seed);

// One value per modality slot, in the model's slot order: the mean loss of the slot's task over
// `rows` of `split` (rows[t] undefined: every example), in eval mode. Tasks with active[t] false
// give NaN. With a process group the ranks share the examples and sum, so all return the same.
// task_losses: each task's loss with every modality present over the same examples, when the
// caller already has it (the epoch's validation): used instead of a second pass.
std::vector<double> slot_losses(MultitaskModel& model, const std::vector<TaskData>& tasks, Split split,
                                const std::vector<at::Tensor>& rows, AeaLoss measure, const std::vector<bool>& active,
                                std::int64_t batch_size, const at::Device& device, ProcessGroup* group,
                                const std::vector<double>& task_losses = {});

}  // namespace sm4
