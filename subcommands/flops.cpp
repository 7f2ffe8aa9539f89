#include <fmt/core.h>

#include <memory>

#include "app/flops_job.h"
#include "commands.h"
#include "core/config.h"
#include "config_options.h"
#include "database_option.h"
#include "core/errors.h"

namespace sm4::cli {

void add_flops_command(CLI::App& app) {
    struct Options {
        ConfigOptions config;
        std::int64_t run = 0;
        DatabaseOption database;
        bool json = false;
        bool no_measure = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand(
        "flops", "Parameters and FLOPs per sample of each task (configured model and its dense counterpart); "
                 "written to the flops table");
    options->config.add_to(*command);
    command->add_option("--run", options->run, "Account run ID with its stored config and best checkpoint");
    options->database.add_to(*command, "Results database holding --run, or receiving the rows of --config");
    command->add_flag("--json", options->json, "Print JSON instead of tables");
    command->add_flag("--no-measure", options->no_measure, "Analytic counts only: no data loaded, no forward pass counted");
    command->callback([options] {
        FlopsReport report;
        if (options->run > 0) {
            if (!options->config.overrides.empty())
                throw UsageError("--run accounts a run with its stored config; drop --set (a --config only names the "
                                 "database, by its output.database)");
            report = account_run(options->database.resolve(&options->config), options->run, !options->no_measure);
        } else {
            if (options->config.files.empty() && options->config.overrides.empty())
                throw UsageError("flops needs --config FILE (or --set) or --run ID");
            ResolvedConfig config = options->config.resolve();
            if (options->database.given()) {  // --db names where the rows go, over output.database
                config.values.output.database = options->database.path;
                config.sources["output.database"] = "--db";
            }
            if (options->config.dump_if_requested(config)) return;
            report = account_config(config, !options->no_measure);
        }
        fmt::print("{}", options->json ? flops_json(report).dump() + "\n" : format_flops(report));
    });
}

}  // namespace sm4::cli
