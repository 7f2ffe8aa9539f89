// The log of one `sm4 sweep --jobs` child: <output.runs_dir>/sweep-logs/<run>-<variant>[-<task>].log,
// where <run> is the name of the run's folder (its id, e.g. 12; "12-2" when another database's
// run 12 shares runs_dir). A resumed run's log is known before it starts and is appended to; a
// new run's id exists only once its child has created it, so its log starts as
// pending-<config hash>.log and is renamed when the child's start line names the run folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "sweep/sweep_plan.h"

namespace sm4 {

class ChildLog {
public:
    // `resumed_folder`: the run folder of the run the child resumes; empty for a new run.
    ChildLog(const SweepRun& run, const std::filesystem::path& resumed_folder);

    const std::filesystem::path& path() const { return path_; }
    // Reads what the child wrote so far: renames a pending log once the start line names the run
    // folder, and returns the last progress line ("run 12: step 120/3372 ..."), if any.
    std::optional<std::string> poll();

private:
    std::filesystem::path folder_;  // sweep-logs/
    std::string suffix_;            // "-<variant>[-<task>].log"
    std::filesystem::path path_;
    bool pending_;
};

// "sweep-logs/12-base.log" for run folder ".../12", variant "base", no task.
std::filesystem::path child_log_name(const SweepRun& run, const std::string& run_folder_name);

}  // namespace sm4
