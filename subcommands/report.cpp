// `sm4 report`: the paper's tables (test results, ablation, parameters and FLOPs) and trace plots
// from the results database.
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "choice_option.h"
#include "commands.h"
#include "core/config.h"
#include "io/results_db.h"
#include "io/run_summary.h"
#include "report/report.h"

namespace sm4::cli {

void add_report_command(CLI::App& app) {
    struct Options {
        std::string database = kDefaultDatabase;
        ReportOptions report;
        TableFormat format = TableFormat::Markdown;
        std::string out;
        PlotFormat plots = PlotFormat::Png;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("report", "Print the test, ablation and FLOPs tables; write them and trace plots");
    command->add_option("--database,--db", options->database, "Results database")->capture_default_str();
    auto* experiment = command->add_option("--experiment", options->report.experiment,
                                           "Only runs of this experiment file (path or name, e.g. minibench)");
    auto* sweep = command->add_option("--sweep", options->report.sweep, "Only runs of this sweep (runs.sweep)");
    auto* runs = command->add_option("--runs", options->report.run_ids, "Only these run ids, e.g. --runs 1,2,3")
                     ->delimiter(',');
    experiment->excludes(sweep)->excludes(runs);
    sweep->excludes(runs);
    add_choice(*command, "--format", options->format, "Tables on stdout");
    command->add_option("--out", options->out, "Folder for main/ablation/flops .md .csv .tex and plots/");
    add_choice(*command, "--plots", options->plots, "Plots written with --out");
    command->add_option("--reference", options->report.reference, "Reference method of the ablation table")
        ->capture_default_str();
    command->add_option("--main", options->report.main_methods, "Methods of the main table, e.g. --main sm4,dense")
        ->delimiter(',');
    command->add_option("--ablation", options->report.ablation_methods,
                        "Methods of the ablation table besides the reference (default: <reference>-no-*)")
        ->delimiter(',');
    command->add_option("--flops-reference", options->report.flops_references,
                        "Methods the FLOPs table gives each method's reduction against, e.g. --flops-reference highmmt")
        ->delimiter(',')
        ->capture_default_str();
    command->add_option("--digits", options->report.digits, "Decimals of means and stds")->capture_default_str();
    command->footer("Only completed runs count; a method is a sweep variant, or the run name for runs of `sm4 train`. "
                    "Rules: README, \"sm4 report\".");
    command->callback([options] {
        require_existing_database(options->database);
        const ResultsDb db(options->database);
        const Report report = build_report(db, options->report);
        fmt::print("{}", format_report(report, options->format));
        if (options->out.empty()) return;
        for (const auto& note : write_report(report, options->out, options->plots)) fmt::print(stderr, "note: {}\n", note);
        fmt::print(stderr, "wrote the report to {}\n", options->out);
    });
}

}  // namespace sm4::cli
