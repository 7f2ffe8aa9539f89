// `sm4 runs list | show ID | query SQL`: read the results database; `sm4 runs merge`: combine
// the databases of a sweep's shards.
#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "core/config.h"
#include "io/results_db.h"
#include "io/run_summary.h"

namespace sm4::cli {
namespace {

struct RunsOptions {
    std::string database = kDefaultDatabase;
    std::int64_t run_id = 0;
    std::string sql;
    bool csv = false;
    std::vector<std::string> inputs;
    std::string output;
};

void add_database_option(CLI::App& command, RunsOptions& options) {
    command.add_option("--db", options.database, "Results database")->capture_default_str();
}

}  // namespace

void add_runs_command(CLI::App& app) {
    auto options = std::make_shared<RunsOptions>();
    CLI::App* runs = app.add_subcommand("runs", "List, show and query the runs in the results database");
    runs->require_subcommand(1);

    CLI::App* list = runs->add_subcommand("list", "One line per run, newest first");
    add_database_option(*list, *options);
    list->callback([options] {
        require_existing_database(options->database);
        fmt::print("{}", print_table(run_list_table(ResultsDb(options->database).list_runs()), TableFormat::Text));
    });

    CLI::App* show = runs->add_subcommand("show", "A run's fields, checkpoints, latest metrics and config");
    show->add_option("id", options->run_id, "Run id (see `sm4 runs list`)")->required();
    add_database_option(*show, *options);
    show->callback([options] {
        require_existing_database(options->database);
        fmt::print("{}", format_run_details(ResultsDb(options->database), options->run_id));
    });

    CLI::App* query = runs->add_subcommand("query", "Run one read-only SQL statement and print the result");
    query->add_option("sql", options->sql, "e.g. \"SELECT name, value FROM metrics WHERE run_id = 1\"")->required();
    add_database_option(*query, *options);
    query->add_flag("--csv", options->csv, "Print CSV instead of an aligned table");
    query->footer("Tables: runs, metrics, checkpoints, schema_version (see the README, \"Results database\").");
    query->callback([options] {
        require_existing_database(options->database);
        const Table table = query_table(ResultsDb(options->database).query(options->sql));
        if (!table.columns.empty()) fmt::print("{}", print_table(table, options->csv ? TableFormat::Csv : TableFormat::Text));
    });

    CLI::App* merge = runs->add_subcommand("merge", "Copy the runs of several databases (e.g. sweep shards) into one");
    merge->add_option("databases", options->inputs, "Results databases to read")->required();
    merge->add_option("--out", options->output, "Database to write (created, or appended to)")->required();
    merge->footer("Runs get new ids in --out; their metrics, checkpoints, allocations and flops follow them; run folders and "
                  "checkpoint paths stay as they are.");
    merge->callback([options] {
        const std::vector<std::filesystem::path> inputs(options->inputs.begin(), options->inputs.end());
        const MergeCounts counts = merge_results(inputs, options->output);
        fmt::print("merged {} databases into {}: {} runs, {} metrics, {} checkpoints, {} allocations, {} flops rows\n",
                   inputs.size(), options->output, counts.runs, counts.metrics, counts.checkpoints,
                   counts.allocations, counts.flops);
    });
}

}  // namespace sm4::cli
