// Scores a model on one split of every task.
#pragma once

#include <string>
#include <vector>

#include "core/table.h"
#include "model/multitask_model.h"
#include "platform/process_group.h"
#include "train/metrics.h"
#include "train/task_data.h"

namespace sm4 {

struct TaskEvaluation {
    std::string task;
    TaskType type = TaskType::Classification;
    double loss = 0.0;
    std::vector<Metric> metrics;
    double selection = 0.0;  // accuracy, or -mse for regression
    std::int64_t examples = 0;
};

// Runs in eval mode without gradients, in fixed batches of batch_size, on `device`. With a
// process group each rank scores a contiguous share of every split and the outputs and losses
// are summed over the ranks, so every rank returns the same evaluations of the whole split.
std::vector<TaskEvaluation> evaluate(MultitaskModel& model, const std::vector<TaskData>& tasks, Split split,
                                     std::int64_t batch_size, const at::Device& device,
                                     ProcessGroup* group = nullptr);

// The validation score the best epoch maximises, by train.select: pooled (sum_t n_t / N * m_t,
// each task's metric weighted by its share of the validation examples, so a task with 18
// examples cannot outvote one with 6,000), weighted (sum_t w_t * m_t with train.select_weights,
// else train.task_weights) or sum. m_t is accuracy, or -mse (-rmse with select_regression rmse).
double selection_score(const std::vector<TaskEvaluation>& evaluations, const TrainConfig& train);

// One row per task: task, type, loss, then every metric any task has (by name; "-" where a task
// has none).
Table evaluation_table(const std::vector<TaskEvaluation>& evaluations);

}  // namespace sm4
