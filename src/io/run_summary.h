// What `sm4 runs` shows: the run list (filtered, with each run's tasks, duration and best
// validation score), one run in detail, two runs side by side, and query results; as tables of
// the record printers (core/table.h) for people and as JSON documents (core/json.h) for scripts.
// The JSON fields are documented in the README ("sm4 runs").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/table.h"
#include "io/results_db.h"

namespace sm4 {

// Reading commands must not leave an empty database behind a mistyped --db: IoError naming the
// path when there is no file there.
void require_existing_database(const std::filesystem::path& path);

// The last value logged for each (split, task, name), in the order the keys were first logged.
std::vector<MetricRecord> latest_metrics(const std::vector<MetricRecord>& metrics);

// A metric value as people read it: 4 significant digits.
std::string metric_text(double value);

// Which runs `sm4 runs list` shows: every field empty or 0 means no filter.
struct RunFilter {
    std::string sweep;    // runs.sweep, exactly
    std::string status;   // running, completed, failed, interrupted
    std::string name;     // runs.name, a shell glob ("minibench*")
    std::int64_t limit = 0;  // the newest N after filtering
};

// One line of the run list.
struct RunOverview {
    RunRecord run;
    std::vector<std::string> tasks;         // data.tasks of its stored config, in order
    std::optional<double> seconds;          // finished_at - created_at; none while running
    std::optional<double> best_val_score;   // the best checkpoint's validation score
};

// The runs matching `filter`, newest first.
std::vector<RunOverview> run_overviews(const ResultsDb& db, const RunFilter& filter);
// id, name, sweep, variant, tasks, status, created, duration, best val, seed.
Table run_list_table(const std::vector<RunOverview>& runs);
// An array of objects: id, name, experiment, sweep, variant, config_hash, tasks, status,
// created_at, finished_at, seconds, best_val_score, seed, world_size, folder.
Json run_list_json(const std::vector<RunOverview>& runs);

// Seconds between two "YYYY-MM-DDTHH:MM:SSZ" stamps; none when either does not parse.
std::optional<double> seconds_between(const std::string& from, const std::string& to);

// The columns and rows of a query (NULL as a missing value).
Table query_table(const QueryResult& result);

}  // namespace sm4
