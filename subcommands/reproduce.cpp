// `sm4 reproduce [EXPERIMENT] [--quick]`: the paper's comparison on one task group, end to end.
#include <fmt/core.h>

#include <memory>

#include "app/reproduce.h"
#include "commands.h"

namespace sm4::cli {

void add_reproduce_command(CLI::App& app) {
    auto request = std::make_shared<ReproduceRequest>();
    CLI::App* command = app.add_subcommand(
        "reproduce", "Prepare the data, run SM4, its ablations and the baselines over seeds, count FLOPs, print the "
                     "paper's tables");
    command->add_option("experiment", request->experiment, "minibench (bundled data), small, medium, large")
        ->capture_default_str();
    command->add_flag("--quick", request->quick, "One seed and a few steps per run (minutes, for a smoke test)");
    command->add_option("-j,--jobs", request->jobs, "Trainings at once (default: one per core)");
    command->add_option("--data", request->data_root,
                        "Folder of the experiment's datasets (data.root of every run), e.g. datasets/multibench");
    command->add_flag("--all", request->all,
                      "Also run the paper's grids over the experiment: Tables 4/7 (paper-ablations), 5/7 "
                      "(router-designs), 6 (ablation-experts), 8 (sm4-layers), 12 (qkv-router), 11 (batch-fusion)");
    command->add_option("-s,--set", request->overrides, "Override one key in every run, e.g. --set train.epochs=1")
        ->allow_extra_args(false);
    command->footer("Results: results/reproduce/<experiment>[-quick]/ (sm4.db, runs/, report/). Re-running skips "
                    "the runs already done. Budgets and what each experiment needs: README, \"Reproducing the "
                    "paper's tables\".");
    command->callback([request] {
        const ReproduceResult result = run_reproduce(*request);
        fmt::print("\n{}", format_report(result.report, TableFormat::Markdown));
        fmt::print("\n{}", print_table(result.flops_sources, TableFormat::Markdown));
        for (const auto& [name, report] : result.grids) {
            fmt::print("\n## {}\n\n", name);
            for (const auto& table : report.paper) fmt::print("{}\n", print_table(table, TableFormat::Markdown));
            if (report.paper.empty()) fmt::print("{}", format_report(report, TableFormat::Markdown));
        }
        for (const auto& note : result.notes) fmt::print(stderr, "note: {}\n", note);
        fmt::print("\nreproduce {}: tables (markdown, CSV, LaTeX) and plots in {}; every run: sm4 runs list --db {}\n",
                   result.plan.name, result.report_folder.string(), result.database.string());
    });
}

}  // namespace sm4::cli
