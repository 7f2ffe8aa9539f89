// The report as data for other programs: one tidy table of every test metric (for pandas) and
// one JSON document holding the runs and all tables.
#pragma once

#include "core/json.h"
#include "report/report.h"
#include "report/report_scores.h"

namespace sm4 {

// Columns method, task, metric, mean, std, n: one row per method x task x metric logged (tasks
// in table order, the headline metric first); std missing for a single run. With a
// delta_reference, each method's Delta(%) follows its tasks as task "all", metric
// "delta_percent_vs_<reference>" (n: its seeds).
Table tidy_table(const ScoreSet& scores, const std::string& delta_reference = "");

// {"database", "tasks", "runs": [{"id", "name", "method", "seed", "sweep", "variant"}], "main",
// "ablation", "flops", "tidy" (rows as table_json writes them), "paper": [{"title", "rows",
// "notes"}] (empty without --paper), "notes": [...], "table_notes": {"main": [...], ...}}.
Json report_json(const Report& report);

}  // namespace sm4
