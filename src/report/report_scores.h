// The test scores of the selected runs grouped by method and task, and the main and ablation
// tables made from them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "report/report.h"

namespace sm4 {

struct MethodScores {
    std::string method;
    std::set<std::int64_t> seeds;
    std::map<std::string, std::vector<double>> values;  // task -> the task's metric, one value per run
    std::map<std::string, std::map<std::string, std::vector<double>>> all;  // task -> metric -> one value per run
};

struct ScoreSet {
    std::vector<std::string> tasks;               // the runs' data.tasks order, then others as first logged
    std::map<std::string, std::string> metric;    // task -> its headline metric (accuracy, else mse, ...)
    std::map<std::string, std::vector<std::string>> metrics;  // task -> every metric logged, the headline first
    std::vector<MethodScores> methods;            // in order of their first run
    const MethodScores* find(const std::string& method) const;
};

// Final test metrics (split test, source train: the best checkpoint's test at the end of training).
ScoreSet collect_scores(const ResultsDb& db, const std::vector<ReportRun>& runs);

// The mean ± sample std (ddof = 1; 0 for one value) of `values` as a statistic cell; missing
// when there are none.
Cell stat_cell(const std::vector<double>& values);

// The headline metric among those logged: accuracy, else mse, micro_f1, ... (else the first).
std::string headline_metric(const std::vector<std::string>& logged);

// +1 when higher is better (accuracy, f1, auroc), -1 when lower is (mse, mae, loss).
int metric_direction(const std::string& metric);

// The methods of each table after --main / --ablation / --reference (UsageError naming an
// unknown method and listing those there).
struct MethodSplit {
    std::vector<std::string> main, ablation;  // ablation: the reference first; empty when it is missing
    std::string note;                         // why the ablation table is empty
    std::string delta_reference;              // Delta(%)'s reference; empty when it has no runs
};
MethodSplit split_methods(const ScoreSet& scores, const ReportOptions& options);

// Both end with a Delta(%) column against split.delta_reference when it is set.
Table main_table(const ScoreSet& scores, const MethodSplit& split, int digits);
Table ablation_table(const ScoreSet& scores, const MethodSplit& split, int digits);

}  // namespace sm4
