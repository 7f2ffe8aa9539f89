// `sm4 runs list | show ID | diff A B | query SQL`: read the results database; `sm4 runs merge`:
// combine the databases of a sweep's shards.
#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "database_option.h"
#include "io/results_db.h"
#include "io/run_details.h"
#include "io/run_summary.h"

namespace sm4::cli {
namespace {

struct RunsOptions {
    DatabaseOption database;
    std::int64_t run_id = 0, other_run_id = 0;
    RunFilter filter;
    std::string sql;
    bool csv = false;
    bool json = false;
    std::vector<std::string> inputs;
    std::string output;
};

// Opens the database a read command names, refusing a path where there is none.
ResultsDb open_existing(const DatabaseOption& option) {
    const auto path = option.resolve();
    require_existing_database(path);
    return ResultsDb(path);
}

void add_read_options(CLI::App& command, RunsOptions& options, bool json) {
    options.database.add_to(command, "Results database", /*with_config=*/true);
    if (json) command.add_flag("--json", options.json, "Print one JSON document (fields: README, \"sm4 runs\")");
}

}  // namespace

void add_runs_command(CLI::App& app) {
    auto options = std::make_shared<RunsOptions>();
    CLI::App* runs = app.add_subcommand("runs", "List, show, compare and query the runs in the results database");
    runs->require_subcommand(1);

    CLI::App* list = runs->add_subcommand("list", "One line per run, newest first");
    add_read_options(*list, *options, true);
    list->add_option("--sweep", options->filter.sweep, "Only runs of this sweep (runs.sweep)");
    list->add_option("--status", options->filter.status, "Only runs with this status (running, completed, failed, interrupted)");
    list->add_option("--name", options->filter.name, "Only runs whose name matches this glob, e.g. 'minibench*'");
    list->add_option("--limit", options->filter.limit, "At most the newest N runs")->check(CLI::PositiveNumber);
    list->callback([options] {
        const auto runs = run_overviews(open_existing(options->database), options->filter);
        if (options->json) fmt::print("{}\n", run_list_json(runs).dump());
        else fmt::print("{}", print_table(run_list_table(runs), TableFormat::Text));
    });

    CLI::App* show = runs->add_subcommand("show", "A run's fields, AEA allocation, test metrics, checkpoints and config");
    show->add_option("id", options->run_id, "Run id (see `sm4 runs list`)")->required();
    add_read_options(*show, *options, true);
    show->callback([options] {
        const RunDetails details = run_details(open_existing(options->database), options->run_id);
        fmt::print("{}", options->json ? run_details_json(details).dump() + "\n" : format_run_details(details));
    });

    CLI::App* diff = runs->add_subcommand("diff", "The config keys that differ between two runs and their final metrics");
    diff->add_option("a", options->run_id, "First run id")->required();
    diff->add_option("b", options->other_run_id, "Second run id")->required();
    add_read_options(*diff, *options, true);
    diff->callback([options] {
        const RunDiff d = diff_runs(open_existing(options->database), options->run_id, options->other_run_id);
        fmt::print("{}", options->json ? run_diff_json(d).dump() + "\n" : format_run_diff(d));
    });

    CLI::App* query = runs->add_subcommand("query", "Run one read-only SQL statement and print the result");
    query->add_option("sql", options->sql, "e.g. \"SELECT name, value FROM metrics WHERE run_id = 1\"")->required();
    add_read_options(*query, *options, false);
    query->add_flag("--csv", options->csv, "Print CSV instead of an aligned table");
    query->footer("Tables: runs, metrics, checkpoints, allocations, flops, schema_version (see the README, \"Results "
                  "database\").");
    query->callback([options] {
        const Table table = query_table(open_existing(options->database).query(options->sql));
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
