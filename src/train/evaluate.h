// Scores a model on one split of every task.
#pragma once

#include <string>
#include <vector>

#include "core/table.h"
#include "model/multitask_model.h"
#include "train/metrics.h"
#include "train/task_data.h"

namespace sm4 {

struct TaskEvaluation {
    std::string task;
    TaskType type = TaskType::Classification;
    double loss = 0.0;
    std::vector<Metric> metrics;
    double selection = 0.0;  // accuracy, or -mse for regression
};

// Runs in eval mode without gradients, in fixed batches of batch_size, on `device`.
std::vector<TaskEvaluation> evaluate(MultitaskModel& model, const std::vector<TaskData>& tasks, Split split,
                                     std::int64_t batch_size, const at::Device& device);

// sum_t weight_t * selection_t (the weighted validation score used for model selection).
double weighted_score(const std::vector<TaskEvaluation>& evaluations, const std::vector<double>& weights);

// One row per task: task, type, loss, then every metric any task has (by name; "-" where a task
// has none).
Table evaluation_table(const std::vector<TaskEvaluation>& evaluations);

}  // namespace sm4
