// `sm4 runs list | show ID | query SQL`: read the results database.
#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <string>

#include "commands.h"
#include "io/results_db.h"
#include "io/run_summary.h"

namespace sm4::cli {
namespace {

// Where runs land unless --db says otherwise (to come from the config key output.database).
constexpr const char* kDefaultDatabase = "results/sm4.db";

struct RunsOptions {
    std::string database = kDefaultDatabase;
    std::int64_t run_id = 0;
    std::string sql;
    bool csv = false;
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
        fmt::print("{}", format_run_list(ResultsDb(options->database).list_runs()));
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
        fmt::print("{}", format_query_result(ResultsDb(options->database).query(options->sql), options->csv));
    });
}

}  // namespace sm4::cli
