#include <fmt/core.h>

#include <memory>

#include "app/eval_job.h"
#include "choice_option.h"
#include "commands.h"
#include "database_option.h"
#include "core/errors.h"

namespace sm4::cli {

void add_eval_command(CLI::App& app) {
    struct Options {
        std::int64_t run = 0;
        std::string checkpoint;
        EvalRequest request;
        DatabaseOption database;
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("eval", "Score a run's best checkpoint (or a checkpoint file) on a split");
    auto* run = command->add_option("--run", options->run, "Run ID in the results database");
    auto* checkpoint = command->add_option("--checkpoint", options->checkpoint, "A checkpoint file (.pt)");
    run->excludes(checkpoint);
    add_choice(*command, "--split", options->request.split, "Split to score");
    options->database.add_to(*command, "Results database holding --run", /*with_config=*/true);
    command->add_option("--threads", options->request.threads, "CPU threads (default: the run's train.threads)");
    command->add_flag("--json", options->json, "Print JSON instead of a table");
    command->callback([options] {
        if (options->run <= 0 && options->checkpoint.empty()) throw UsageError("eval needs --run ID or --checkpoint PATH");
        EvalRequest request = options->request;
        request.database = options->database.resolve();
        if (options->run > 0) request.run = options->run;
        request.checkpoint = options->checkpoint;
        const EvalResult result = evaluate_checkpoint(request);
        if (options->json) {
            fmt::print("{}\n", evaluation_json(result).dump());
        } else {
            fmt::print("{} (epoch {}), {} split\n{}", result.checkpoint.string(), result.epoch, to_string(result.split),
                       print_table(evaluation_table(result.evaluations), TableFormat::Text));
        }
    });
}

}  // namespace sm4::cli
