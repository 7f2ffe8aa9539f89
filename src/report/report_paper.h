// `sm4 report --paper`: the paper's tables (results/published/peng25a.toml) beside the measured
// ones, a row per source: for each method the paper's row, this toolkit's row (mean ± std over
// seeds, accuracy in percent as the paper prints it) and, where the method has 3 or more seeds,
// the gap in standard deviations, (here - paper) / std.
#pragma once

#include <string>
#include <vector>

#include "core/table.h"
#include "report/published_results.h"
#include "report/report_scores.h"

namespace sm4 {

struct PaperComparison {
    std::string group;               // the paper's task group the columns are taken from
    std::vector<Table> tables;       // by table number
    std::vector<std::string> notes;  // the group chosen and why, tables left out
};

// Seeds a here row needs before its gap row is shown.
inline constexpr int kGapSeeds = 3;

// The comparison for the runs' scores. `group`: the paper's group to compare with; empty: the one
// whose tasks are the runs' tasks, else medium (the paper's ablations), with a note saying so.
// A scores table is shown when it is Table 2 and one of its methods has runs, or when it holds a
// method with runs (other than the reference and sm4) that no table shown before it holds; its rows are the paper's rows of methods with
// runs, the reference's and sm4's.
// No table at all: a note saying so (not an error). UsageError when `group` is none of the
// file's groups.
PaperComparison paper_comparison(const ScoreSet& scores, const PublishedResults& published, const std::string& group,
                                 const std::string& reference, int digits);

}  // namespace sm4
