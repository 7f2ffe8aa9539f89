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
};

struct ScoreSet {
    std::vector<std::string> tasks;               // in order of first appearance
    std::map<std::string, std::string> metric;    // task -> its headline metric (accuracy, else mse, ...)
    std::vector<MethodScores> methods;            // in order of their first run
    const MethodScores* find(const std::string& method) const;
};

// Final test metrics (split test, source train: the best checkpoint's test at the end of training).
ScoreSet collect_scores(const ResultsDb& db, const std::vector<ReportRun>& runs);

// +1 when higher is better (accuracy, f1, auroc), -1 when lower is (mse, mae, loss).
int metric_direction(const std::string& metric);

// The methods of each table after --main / --ablation / --reference (UsageError naming an
// unknown method and listing those there).
struct MethodSplit {
    std::vector<std::string> main, ablation;  // ablation: the reference first; empty when it is missing
    std::string note;                         // why the ablation table is empty
};
MethodSplit split_methods(const ScoreSet& scores, const ReportOptions& options);

Table main_table(const ScoreSet& scores, const std::vector<std::string>& methods, int digits);
Table ablation_table(const ScoreSet& scores, const MethodSplit& split, int digits);

}  // namespace sm4
