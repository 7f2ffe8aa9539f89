#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "config_options.h"
#include "train/reproduce.h"

namespace sm4::cli {

void add_reproduce_command(CLI::App& app) {
    struct Options {
        std::string experiment = "minibench";
        ConfigOptions config;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand(
        "reproduce", "Prepare the bundled data if missing, train the experiment, evaluate and print the table");
    command->add_option("experiment", options->experiment, "Experiment name or .toml file")->capture_default_str();
    options->config.add_to(*command);
    command->callback([options] {
        ConfigOptions config = options->config;
        config.files.insert(config.files.begin(), experiment_file(options->experiment).string());
        TrainRequest request;
        request.config = config.resolve();
        if (config.dump_if_requested(request.config)) return;
        request.experiment = config.files.front();
        prepare_missing_datasets(request.config.values);
        const TrainResult result = train_model(request);
        fmt::print("{}: run {} completed in {:.0f} s (best epoch {}); details: sm4 runs show {}\n{}",
                   options->experiment, result.run_id, result.seconds, result.best_epoch, result.run_id,
                   format_evaluation(result.test, "test"));
    });
}

}  // namespace sm4::cli
