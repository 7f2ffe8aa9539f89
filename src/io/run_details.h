// `sm4 runs show ID` and `sm4 runs diff A B`: one run in detail, and two runs side by side
// (the config keys that differ, the final metrics), as text and as JSON (README, "sm4 runs").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "io/results_db.h"

namespace sm4 {

struct RunDetails {
    RunRecord run;
    std::vector<CheckpointRecord> checkpoints;
    std::vector<AllocationRecord> allocation;  // design-1 runs: the probe's chosen experts per group
    std::vector<ModalityEpochRecord> modality_epochs;  // AEA's and ALP's epochs (empty: not recorded)
    std::vector<MetricRecord> test;            // the final test metrics training logged (not eval's)
    std::vector<MetricRecord> latest;          // the last value of every metric, train and eval
};

// UsageError ("run 12 not found in results/sm4.db") when the database has no such run.
RunDetails run_details(const ResultsDb& db, std::int64_t run_id);
// Fields, each slot's k path and ALP weights (AEA, ALP), test metrics, checkpoints, latest metrics
// (4 significant digits), config.
std::string format_run_details(const RunDetails& details);
// {"run": {...fields}, "checkpoints": [...], "allocation": {group: experts}, "modality_epochs":
// {slot: {"top_k": [per epoch], "pace_weight": [...], "val_loss": [...], "frozen": bool}}, "test":
// {task: {metric: value}}, "latest": [...], "config": "<toml>"}.
Json run_details_json(const RunDetails& details);

struct ConfigDifference {
    std::string key, a, b;  // values as TOML text; "" when a run's config lacks the key
};
struct MetricPair {
    std::string split, task, name;
    std::optional<double> a, b;
};
struct RunDiff {
    RunRecord a, b;
    std::vector<ConfigDifference> config;  // schema order
    std::vector<MetricPair> metrics;       // final test metrics from training, then validation
};

RunDiff diff_runs(const ResultsDb& db, std::int64_t a, std::int64_t b);
std::string format_run_diff(const RunDiff& diff);
// {"a": id, "b": id, "config": [{"key", "a", "b"}], "metrics": [{"split", "task", "name", "a", "b"}]}.
Json run_diff_json(const RunDiff& diff);

}  // namespace sm4
