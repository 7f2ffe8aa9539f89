#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "commands.h"
#include "core/config.h"
#include "core/launch_env.h"
#include "choice_option.h"
#include "config_options.h"
#include "database_option.h"
#include "core/errors.h"
#include "core/text.h"
#include "rank_launch.h"
#include "train/trainer.h"

namespace sm4::cli {
namespace {

void print_summary(const TrainResult& result) {
    fmt::print("run {} completed in {:.0f} s; best epoch {}; {}\n", result.run_id, result.seconds,
               result.best_epoch, result.run_dir.string());
    if (result.world_size > 1)
        fmt::print("data-parallel: {} ranks on {}; all-reduce {:.1f} s ({:.1f}% of the run), {:.2f} MB per step per rank\n",
                   result.world_size, result.backend, result.reduce_seconds,
                   100.0 * result.reduce_seconds / std::max(result.seconds, 1e-9),
                   result.steps > 0 ? static_cast<double>(result.reduced_bytes) / result.steps / 1e6 : 0.0);
    if (result.agreement_checks > 0)
        fmt::print("data-parallel: parameters, k and ALP weights identical on every rank at each of {} epoch ends\n",
                   result.agreement_checks);
    fmt::print("test split\n{}", print_table(evaluation_table(result.test), TableFormat::Text));
}

}  // namespace

void add_train_command(CLI::App& app) {
    struct Options {
        ConfigOptions config;
        std::int64_t resume = 0;
        DatabaseOption database;
        std::string device;
        int nproc = 1;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("train", "Train a multitask model from TOML configs; every run lands in the results database");
    options->config.add_to(*command);
    command->add_option("--resume", options->resume, "Continue run ID from its last checkpoint (uses its stored config)");
    options->database.add_to(*command, "Results database: where the run is recorded (as --set output.database=PATH), or "
                                       "the run to --resume");
    command->add_option("--device", options->device, "cpu or cuda (same as --set train.device=...)")
        ->check(choice_check<ComputeDevice>());
    command->add_option("--nproc", options->nproc,
                        "Train as N data-parallel ranks on this machine (for users without torchrun; README, Data-parallel training)")
        ->check(CLI::Range(1, 256));
    command->callback([options] {
        const LaunchEnv launch = launch_env();
        if (started_local_ranks(options->nproc, launch)) return;
        const QuietOtherRanks quiet(launch);
        if (!options->device.empty()) options->config.overrides.push_back("train.device=" + options->device);
        TrainRequest request;
        if (options->resume > 0) {
            if (!options->config.overrides.empty())
                throw UsageError("--resume continues a run with its stored config; drop --set and --device (a --config "
                                 "only names the database, by its output.database)");
            request.resume_run = options->resume;
            const std::string database = options->database.resolve(&options->config).string();
            options->config.files.clear();
            options->config.overrides.push_back("output.database=" + database);
        } else if (options->database.given()) {
            options->config.overrides.push_back("output.database=" + options->database.path);
        }
        request.config = options->config.resolve();
        if (options->config.dump_if_requested(request.config)) return;
        request.experiment = join(options->config.files, " ");
        const TrainResult result = train_model(request);
        if (result.rank == 0) print_summary(result);
    });
}

}  // namespace sm4::cli
