// A run's learning curves: for each task the loss on the train and validation splits beside the
// task's headline metric (accuracy, mse, ...), over the logged steps, from the metrics table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/results_db.h"
#include "report/plot_grid.h"

namespace sm4 {

// One row of panels per task (`tasks` first, then any others in `history`): "<task>: loss" with a
// train and a val line, and "<task>: <metric>" with the metric's val (and train, when logged)
// line. `history`: rows of splits train and val. None when it holds no task's values.
std::optional<ChartGrid> learning_curves(const std::vector<MetricRecord>& history, const std::vector<std::string>& tasks,
                                         const std::string& subject);

}  // namespace sm4
