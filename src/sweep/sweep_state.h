// What a results database already holds for a sweep's runs, found by their config hash: which
// are done, which can be resumed, and how a run that just ended came out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sm4 {

enum class PriorState {
    New,     // start a new run
    Done,    // a completed run has this config: skip it
    Resume,  // continue run_id from its checkpoint
};

struct PriorRun {
    PriorState state = PriorState::New;
    std::int64_t run_id = 0;
};

// The rule, applied once when a sweep starts: a completed run with the hash makes it Done;
// otherwise the newest run with the hash that is `running` or `interrupted` and whose run folder
// holds a checkpoint.pt is resumed; otherwise (no such run, failed, or killed before its first checkpoint) New.
// A database file that does not exist holds nothing and is not created.
PriorRun find_prior_run(const std::filesystem::path& database, const std::string& config_hash);

struct RecordedRun {
    std::int64_t run_id = 0;
    std::string status;               // runs.status
    std::string message;              // runs.message
    std::optional<double> val_score;  // best validation score among its checkpoints
};

// The newest completed run with the hash, else the newest run with it; nullopt when there is none.
std::optional<RecordedRun> recorded_run(const std::filesystem::path& database, const std::string& config_hash);

}  // namespace sm4
