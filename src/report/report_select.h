// Which runs a report covers: selection by experiment, sweep or ids, the completed ones, each
// with its method name and trace location.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"

namespace sm4 {

// The completed selected runs in ascending id order; `notes` gains one line per run left out.
// UsageError as described at build_report.
std::vector<ReportRun> select_report_runs(const ResultsDb& db, const ReportOptions& options,
                                          std::vector<std::string>& notes);

// Where a run's trace.h5 is: the folder of its checkpoints (runs merged from other databases
// keep their old folders), else <output.runs_dir of its stored config>/<id>.
std::filesystem::path run_trace_path(const ResultsDb& db, const RunRecord& run);

}  // namespace sm4
