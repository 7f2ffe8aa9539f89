#include <fmt/core.h>

#include <memory>

#include "bench/bench_report.h"
#include "choice_option.h"
#include "commands.h"
#include "core/errors.h"
#include "core/launch_env.h"
#include "rank_launch.h"

namespace sm4::cli {

void add_bench_command(CLI::App& app) {
    auto request = std::make_shared<BenchRequest>();
    auto json = std::make_shared<bool>(false);
    auto nproc = std::make_shared<int>(1);
    auto e2e_only = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand(
        "bench", "Time the MoE layer against a dense feed-forward of the same active FLOPs (and training end to end)");
    add_choice(*command, "--grid", request->grid, "Layer sizes: quick (a few minutes on 2 cores), full, targets, tiny");
    add_choice(*command, "--device", request->device, "Device to time");
    command->add_option("--repeats", request->repeats, "Timed calls per case (the median is reported)")
        ->check(CLI::PositiveNumber)->capture_default_str();
    command->add_option("--warmup", request->warmup, "Untimed calls per case first")->check(CLI::NonNegativeNumber)->capture_default_str();
    command->add_option("--matmul", request->matmul_n, "Side of the square product that measures the ceiling")
        ->check(CLI::PositiveNumber)->capture_default_str();
    command->add_flag("--e2e", request->e2e, "Also time training steps of minibench and medium with each backbone");
    command->add_option("--e2e-steps", request->e2e_options.steps, "Timed training steps per model")
        ->check(CLI::PositiveNumber)->capture_default_str();
    command->add_option("--e2e-warmup", request->e2e_options.warmup, "Untimed training steps per model first")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    command->add_option("--e2e-batch", request->e2e_options.batch_size, "Examples per task per step (0: the experiment's)")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    command->add_flag("--e2e-only", *e2e_only, "Time training steps only (no ceiling, no layer grid); implies --e2e");
    command->add_option("--e2e-config", request->e2e_options.configs,
                        "Experiment whose model --e2e times (repeatable; default minibench and medium)")
        ->type_name("NAME");
    command->add_option_function<std::vector<std::string>>(
        "--e2e-backbone",
        [request](const std::vector<std::string>& words) {
            request->e2e_options.backbones.clear();
            for (const auto& word : words) {
                const auto value = find_choice<Backbone>(word);
                if (!value) throw CLI::ValidationError("--e2e-backbone", choice_mismatch(word, choice_names<Backbone>()));
                request->e2e_options.backbones.push_back(*value);
            }
        },
        "Backbone --e2e times (repeatable; " + join(choice_names<Backbone>(), ", ") + "; default all)")
        ->type_name("WORD");
    command->add_option("--threads", request->threads, "Threads per process (per rank with --nproc); 0: every core, shared by the ranks")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    command->add_option("--nproc", *nproc, "With --e2e: time data-parallel training steps on N local ranks")
        ->check(CLI::Range(1, 256));
    command->add_flag("--json", *json, "Print one JSON object instead of tables");
    command->callback([request, json, nproc, e2e_only] {
        if (*e2e_only) {
            request->e2e = true;
            request->layers = false;
        }
        if (*nproc > 1 && !request->e2e) throw UsageError("--nproc times data-parallel training steps: add --e2e");
        const LaunchEnv launch = launch_env();
        if (started_local_ranks(*nproc, launch)) return;
        const QuietOtherRanks quiet(launch);
        const BenchReport report = run_bench(*request);
        if (report.rank > 0) return;
        fmt::print("{}", *json ? bench_json(report).dump() + "\n" : bench_tables(report));
    });
}

}  // namespace sm4::cli
