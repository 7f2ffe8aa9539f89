// What `sm4 runs` prints: the run list, one run in detail, and query results, built from the
// results store and the text-table printers so `sm4 report` can reuse the same pieces.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/results_db.h"

namespace sm4 {

// Reading commands must not leave an empty database behind a mistyped --db: IoError naming the
// path when there is no file there.
void require_existing_database(const std::filesystem::path& path);

// The last value logged for each (split, task, name), in the order the keys were first logged.
std::vector<MetricRecord> latest_metrics(const std::vector<MetricRecord>& metrics);

// id, name, status, created_at, finished_at and seed of each run, as a table.
std::string format_run_list(const std::vector<RunRecord>& runs);

// A run's fields, its checkpoints, its latest metrics and its resolved config. UsageError
// ("run 12 not found in results/sm4.db") when the database has no such run.
std::string format_run_details(const ResultsDb& db, std::int64_t run_id);

// An aligned table, or CSV when `csv`.
std::string format_query_result(const QueryResult& result, bool csv);

}  // namespace sm4
