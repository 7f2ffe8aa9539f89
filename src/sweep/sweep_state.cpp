#include "sweep/sweep_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"
#include "io/results_db.h"
#include "io/stored_config.h"

namespace sm4 {
namespace {

// Config hashes are hex digits, so they can sit in the SQL text of ResultsDb::query.
std::string hash_literal(const std::string& config_hash) {
    if (config_hash.empty() || config_hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw Error(fmt::format("'{}' is not a config hash", config_hash));
    return "'" + config_hash + "'";
}

struct HashedRun {
    std::int64_t id = 0;
    std::string status;
    std::string message;
};

// Runs with the hash, newest first.
std::vector<HashedRun> runs_with_hash(const ResultsDb& db, const std::string& config_hash) {
    const QueryResult result = db.query(fmt::format(
        "SELECT id, status, message FROM runs WHERE config_hash = {} ORDER BY id DESC", hash_literal(config_hash)));
    std::vector<HashedRun> runs;
    for (const auto& row : result.rows) runs.push_back({std::stoll(row[0]), row[1], row[2]});
    return runs;
}

// Where `sm4 train --resume` looks: <output.runs_dir of the stored config>/<id>/checkpoint.pt,
// written at every epoch's end and on Ctrl-C.
bool has_checkpoint_file(const ResultsDb& db, std::int64_t run_id) {
    const auto run = db.find_run(run_id);
    return run && std::filesystem::exists(run_folder(*run) / "checkpoint.pt");
}

}  // namespace

PriorRun find_prior_run(const std::filesystem::path& database, const std::string& config_hash) {
    if (!std::filesystem::exists(database)) return {};
    const ResultsDb db(database);
    const auto runs = runs_with_hash(db, config_hash);
    for (const auto& run : runs)
        if (run.status == kRunCompleted) return {PriorState::Done, run.id};
    for (const auto& run : runs)
        if ((run.status == kRunRunning || run.status == kRunInterrupted) && has_checkpoint_file(db, run.id))
            return {PriorState::Resume, run.id};
    return {};
}

std::optional<RecordedRun> recorded_run(const std::filesystem::path& database, const std::string& config_hash) {
    if (!std::filesystem::exists(database)) return std::nullopt;
    const ResultsDb db(database);
    const auto runs = runs_with_hash(db, config_hash);
    if (runs.empty()) return std::nullopt;
    const auto completed = std::find_if(runs.begin(), runs.end(), [](const auto& r) { return r.status == kRunCompleted; });
    const HashedRun& run = completed != runs.end() ? *completed : runs.front();
    RecordedRun recorded{run.id, run.status, run.message, std::nullopt};
    for (const auto& checkpoint : db.checkpoints(recorded.run_id))
        recorded.val_score = std::max(recorded.val_score.value_or(checkpoint.val_score), checkpoint.val_score);
    return recorded;
}

}  // namespace sm4
