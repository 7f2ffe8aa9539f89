// What `sm4 runs` shows: the run list, one run in detail, and query results, as tables of the
// record printers (core/table.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/table.h"
#include "io/results_db.h"

namespace sm4 {

// Reading commands must not leave an empty database behind a mistyped --db: IoError naming the
// path when there is no file there.
void require_existing_database(const std::filesystem::path& path);

// The last value logged for each (split, task, name), in the order the keys were first logged.
std::vector<MetricRecord> latest_metrics(const std::vector<MetricRecord>& metrics);

// id, name, status, created_at, finished_at and seed of each run.
Table run_list_table(const std::vector<RunRecord>& runs);

// A run's fields, its checkpoints, its latest metrics and its resolved config, as text. UsageError
// ("run 12 not found in results/sm4.db") when the database has no such run.
std::string format_run_details(const ResultsDb& db, std::int64_t run_id);

// The columns and rows of a query (NULL as a missing value).
Table query_table(const QueryResult& result);

}  // namespace sm4
