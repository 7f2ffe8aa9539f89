// `sm4 sweep EXPERIMENT`: run an experiment's [sweep] grid, resumably, in parallel, sharded.
#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "database_option.h"
#include "core/errors.h"
#include "core/launch_env.h"
#include "app/experiment_file.h"
#include "app/sweep_runner.h"
#include "config_options.h"

namespace sm4::cli {

void add_sweep_command(CLI::App& app) {
    struct Options {
        std::string experiment;
        std::vector<std::string> bases;
        SweepRequest request;
        Shard shard;
        bool shard_from_slurm = false;  // --shard auto
        std::int64_t run_one = -1;  // hidden: what a --jobs child runs
        std::string expect_hash;
        std::int64_t resume_run = 0;
        DatabaseOption database;
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand(
        "sweep", "Run the [sweep] of an experiment file: variants x grid x seeds, skipping completed runs");
    command->add_option("experiment", options->experiment, "Experiment .toml file, or a name in experiments/")
        ->required();
    command->add_option("-s,--set", options->request.overrides,
                        "Override one key in every run, e.g. --set train.epochs=1; repeatable; part of each run's hash")
        ->allow_extra_args(false);  // one value each, so the experiment may follow
    command->add_option("--base", options->bases,
                        "Config file applied under the sweep file (repeatable, in order), e.g. --base "
                        "experiments/small.toml with experiments/methods.toml")
        ->allow_extra_args(false);
    command->add_option("--seeds", options->request.seeds, "Seeds to run instead of the file's [sweep] seeds, e.g. "
                        "--seeds 0 --seeds 1")
        ->allow_extra_args(false);
    command->add_option("-j,--jobs", options->request.jobs, "Trainings at once, each in its own process")
        ->capture_default_str();
    command->add_option_function<std::string>(
        "--shard",
        [options](const std::string& text) {
            options->shard_from_slurm = text == "auto";
            if (options->shard_from_slurm) return;
            try {
                options->shard = parse_shard(text);
            } catch (const UsageError& e) {
                throw CLI::ValidationError("--" + std::string(e.what()));  // "--shard '2/2': ..."
            }
        },
        "Run only shard i of n (runs whose index % n == i), e.g. 0/4; auto: a Slurm job array's task of its count");
    command->add_option("--variant", options->request.variants,
                        "Only this variant of the file's [sweep] (repeatable), e.g. --variant sm4 --variant dense")
        ->allow_extra_args(false);
    options->database.add_to(*command, "Results database of every run (as --set output.database=PATH; not part of the "
                                       "runs' hashes)");
    CLI::Option* dry_run =
        command->add_flag("--dry-run", options->request.dry_run, "List the runs and which are done; run nothing");
    command->add_flag("--json", options->json, "With --dry-run: one JSON document (fields: README, \"Sweeps\")")
        ->needs(dry_run);
    command->add_option("--run-one", options->run_one)->group("");
    command->add_option("--expect-hash", options->expect_hash)->group("");
    command->add_option("--resume-run", options->resume_run)->group("");
    command->footer("The file format, the run order and the resume rule: README, \"Sweeps\".");
    command->callback([options] {
        SweepRequest request = options->request;
        if (options->database.given()) request.overrides.push_back("output.database=" + options->database.path);
        request.file = config_file(options->experiment, "experiment");  // hints --set for a key=value
        for (const auto& base : options->bases) request.bases.push_back(experiment_file(base));
        request.shard = options->shard;
        if (options->shard_from_slurm) {
            const ShardChoice slurm = slurm_array_shard();
            request.shard = Shard{static_cast<std::size_t>(slurm.index), static_cast<std::size_t>(slurm.count)};
        }
        if (request.dry_run && options->json) return fmt::print("{}\n", preview_json(preview_sweep(request)).dump());
        if (options->run_one < 0) return run_sweep(request);
        run_sweep_child(request, static_cast<std::size_t>(options->run_one), options->expect_hash,
                        options->resume_run > 0 ? std::optional(options->resume_run) : std::nullopt);
    });
}

}  // namespace sm4::cli
