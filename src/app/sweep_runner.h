// `sm4 sweep`: runs an experiment's [sweep] (see sweep_plan.h), skipping the runs a results
// database already holds as completed and resuming the ones that stopped, one at a time in this
// process or N at a time in child processes. Each run's start and end, the dry run's list and the
// final summary go to the process's observer (core/events.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_state.h"
#include "train/trainer.h"

namespace sm4 {

struct SweepRequest {
    std::filesystem::path file;
    std::vector<std::filesystem::path> bases;  // --base: config files under the sweep file
    std::vector<std::string> overrides;  // --set, applied to every run (part of its config hash)
    std::vector<std::int64_t> seeds;     // --seeds: replace the file's seeds when not empty
    int jobs = 1;                        // trainings at once; > 1: child processes
    Shard shard;
    std::vector<std::string> variants;   // --variant: only these variants (empty: all)
    bool dry_run = false;                // list the runs and what is done, run nothing
};

// The runs a request selects (its shard, its variants) and what the databases hold of each.
struct SweepPreview {
    SweepPlan plan;
    std::vector<const SweepRun*> runs;  // into plan.runs
    std::vector<PriorRun> prior;        // one per run
};
// UsageError naming a --variant the file does not define (with the ones it does).
SweepPreview preview_sweep(const SweepRequest& request);
// `sm4 sweep --dry-run --json`: {"sweep", "file", "runs_in_file", "selected", "runs": [{"index",
// "variant", "task", "grid": {axis: value}, "seed", "config_hash", "database", "state": "done" |
// "resume" | "new", "run_id"}]}.
Json preview_json(const SweepPreview& preview);

// Reports one event per run as it starts and ends and a summary table at the end.
// Throws InterruptedError after Ctrl-C (running runs checkpoint and stop, no new one starts; the
// same command resumes them) and TrainingError when any run failed (the others still ran).
void run_sweep(const SweepRequest& request);

// What a child of --jobs does: run `index` of the plan, new or resumed. UsageError when that run's
// config no longer hashes to `config_hash` (the file changed since the sweep started).
TrainResult run_sweep_child(const SweepRequest& request, std::size_t index, const std::string& config_hash,
                            std::optional<std::int64_t> resume_run);

}  // namespace sm4
