// `sm4 flops`: parameter and FLOP accounting of a config or a run, for the configured model and
// its dense counterpart, analytic and (on a real batch) measured; recorded in the results
// database's flops table.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config_loader.h"
#include "core/flops_rows.h"
#include "core/json.h"
#include "core/table.h"
#include "model/task_spec.h"

namespace sm4 {

struct FlopsReport {
    std::optional<std::int64_t> run;     // empty for a config
    std::string config_hash;
    std::filesystem::path database;      // where the rows went
    std::string weights;                 // what the measured model held: "initial" or a checkpoint path
    std::int64_t batch = 0;              // examples per measured batch (0: not measured)
    std::vector<std::string> tasks;
    std::vector<FlopsRecord> rows;       // "configured" rows, then "dense" rows
};

// The tasks of data.tasks from each file's header; a MultiBench task whose file is not there yet
// takes the shapes its converter writes (said in a notice), so a task group's models can be
// counted before its data is downloaded.
std::vector<TaskSpec> header_specs(const Config& config);

// Accounts a resolved config (data.tasks' shapes from their files; a batch of each task's
// eval.split, or val/train when it is empty, when `measure`) and replaces the rows of its config
// hash (run_id NULL) in its output.database.
FlopsReport account_config(const ResolvedConfig& config, bool measure = true);

// Accounts a run from its stored config with its best
// checkpoint's weights (the latest checkpoint, or initial weights, when there is none yet) and
// replaces the run's rows. IoError when the database does not exist, UsageError when the run does not.
FlopsReport account_run(const std::filesystem::path& database, std::int64_t run, bool measure = true);

// One table per task: modality x component with params, active params, FLOPs per sample, the
// dense counterpart's FLOPs, reduction % and measured FLOPs, ending with the task's total row.
Table flops_task_table(const FlopsReport& report, const std::string& task);

// The tables of every task, then the whole-model summary and where the rows went.
std::string format_flops(const FlopsReport& report);

// {"run", "config_hash", "database", "batch", "tasks": {task: {"params", "active_params", "flops",
// "dense_flops", "reduction_percent", "measured_flops", "dense_measured_flops"}}, "total": {..},
// "rows": [..]}
Json flops_json(const FlopsReport& report);

}  // namespace sm4
