#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "config_options.h"
#include "core/errors.h"
#include "train/eval_job.h"

namespace sm4::cli {

void add_eval_command(CLI::App& app) {
    struct Options {
        std::int64_t run = 0;
        std::string checkpoint;
        std::string split = "test";
        std::string database = "results/sm4.db";
        std::int64_t threads = 0;
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("eval", "Score a run's best checkpoint (or a checkpoint file) on a split");
    auto* run = command->add_option("--run", options->run, "Run ID in the results database");
    auto* checkpoint = command->add_option("--checkpoint", options->checkpoint, "A checkpoint file (.pt)");
    run->excludes(checkpoint);
    command->add_option("--split", options->split, "train, val or test")->check(CLI::IsMember({"train", "val", "test"}));
    command->add_option("--db", options->database, "Results database")->capture_default_str();
    command->add_option("--threads", options->threads, "CPU threads (default: the run's train.threads)");
    command->add_flag("--json", options->json, "Print JSON instead of a table");
    command->callback([options] {
        if (options->run <= 0 && options->checkpoint.empty()) throw UsageError("eval needs --run ID or --checkpoint PATH");
        EvalRequest request;
        if (options->run > 0) request.run = options->run;
        request.checkpoint = options->checkpoint;
        request.split = options->split;
        request.database = options->database;
        request.threads = options->threads;
        const EvalResult result = evaluate_checkpoint(request);
        if (options->json) {
            fmt::print("{}", evaluation_json(result));
        } else {
            fmt::print("{} (epoch {})\n{}", result.checkpoint.string(), result.epoch,
                       format_evaluation(result.evaluations, result.split));
        }
    });
}

}  // namespace sm4::cli
