// The parameters and FLOPs table: per method and task, from the flops table `sm4 flops` fills.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"

namespace sm4 {

// Rows: method x task (tasks in `tasks` order) with params (whole model), active params per sample,
// FLOPs per sample, then for each reference method present in the runs the reduction against its
// FLOPs on the task (the paper's claim: against highmmt, and against dense-matched), then the
// same-width dense counterpart's FLOPs and the reduction against it. Each method's numbers come
// from its first run with flops rows for the task; runs without any are named in a note with the
// command that fills them (`sm4 flops --run N`, followed by `db_flag`).
Table flops_table(const ResultsDb& db, const std::vector<ReportRun>& runs, const std::vector<std::string>& methods,
                  const std::vector<std::string>& tasks, const std::vector<std::string>& references,
                  const std::string& db_flag = "");


}  // namespace sm4
