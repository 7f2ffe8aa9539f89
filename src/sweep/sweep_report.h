// What `sm4 sweep` prints: the run list of --dry-run, one line per run as it starts and ends,
// and the summary table at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sweep/sweep_plan.h"
#include "sweep/sweep_state.h"

namespace sm4 {

struct SweepOutcome {
    // completed, skipped (completed by an earlier sweep), failed, interrupted, or not run
    std::string status = "not run";
    std::int64_t run_id = 0;
    double seconds = 0.0;
    std::optional<double> val_score;  // best validation score
    std::string message;              // why it failed
};

// "#, variant, [task], <axes>, seed, config_hash, state" with state "done (run 3)",
// "resume run 4" or "new", then a count of each.
std::string format_dry_run(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                           const std::vector<PriorRun>& prior);

// "done in 41 s, run 7, val score 0.9312", "failed after 3 s: <message>", ...
std::string describe_outcome(const SweepOutcome& outcome);

// "#, variant, [task], <axes>, seed, run, status, seconds, val score", then a count of each status.
std::string format_sweep_summary(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                                 const std::vector<SweepOutcome>& outcomes);

}  // namespace sm4
