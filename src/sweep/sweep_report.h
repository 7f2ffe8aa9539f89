// What `sm4 sweep` shows: the run list of --dry-run, one line per run as it starts and ends,
// and the summary table at the end, as tables (core/table.h) and short texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/table.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_state.h"

namespace sm4 {

// How a sweep's run came out: skipped means completed by an earlier sweep.
enum class SweepStatus { NotRun, Completed, Skipped, Failed, Interrupted };
template <> struct ChoiceNames<SweepStatus> {
    static constexpr std::array<std::string_view, 5> names{"not run", "completed", "skipped", "failed", "interrupted"};
};

struct SweepOutcome {
    SweepStatus status = SweepStatus::NotRun;
    std::int64_t run_id = 0;
    double seconds = 0.0;
    std::optional<double> val_score;  // best validation score
    std::string message;              // why it failed
};

// "#, variant, [task], <axes>, seed, config_hash, state" with state "done (run 3)",
// "resume run 4" or "new".
Table dry_run_table(const SweepPlan& plan, const std::vector<const SweepRun*>& runs, const std::vector<PriorRun>& prior);
// "sweep NAME: 4 of 8 runs: 2 done, 2 to start".
std::string dry_run_summary(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                            const std::vector<PriorRun>& prior);

// "done in 41 s, run 7, val score 0.9312", "failed after 3 s: <message>", ...
std::string describe_outcome(const SweepOutcome& outcome);

// "#, variant, [task], <axes>, seed, run, status, seconds, val score".
Table sweep_summary_table(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                          const std::vector<SweepOutcome>& outcomes);
// "sweep NAME: 3 completed, 1 failed".
std::string sweep_summary_line(const SweepPlan& plan, const std::vector<SweepOutcome>& outcomes);

}  // namespace sm4
