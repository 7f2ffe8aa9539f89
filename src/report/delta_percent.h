// The paper's summary metric Delta(%) (section 4.1): the mean over a group's tasks of each task's
// relative gain over a reference method, (M - M_ref) / M_ref, with the sign flipped where lower is
// better (PUSH's MSE), in percent: positive means better than the reference.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/table.h"

namespace sm4 {

struct ScoreSet;
struct MethodScores;

// One task's means: the model's, the reference's, and +1 (higher is better) or -1.
struct TaskMeans {
    double model = 0.0, reference = 0.0;
    int direction = 1;
};

// 100 * mean_i direction_i * (model_i - reference_i) / reference_i; nullopt for no tasks or a
// reference mean of 0 (the relative gain is undefined).
std::optional<double> delta_percent(const std::vector<TaskMeans>& tasks);

// Delta(%) of `method` against `reference` over every task of `scores` (their mean over seeds);
// nullopt when either lacks a task.
std::optional<double> method_delta_percent(const ScoreSet& scores, const MethodScores& method,
                                           const MethodScores& reference);

// The column, and a cell: "+20.19" (2 decimals, signed), "-" when missing.
Column delta_column();
Cell delta_cell(const std::optional<double>& delta);

// The note under a table with the column.
std::string delta_note(const std::string& reference);

}  // namespace sm4
