// `sm4 report`: the paper's tables (test results, ablation, parameters and FLOPs), the runs'
// learning curves and trace plots from the results database.
#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "choice_option.h"
#include "commands.h"
#include "core/config.h"
#include "database_option.h"
#include "io/results_db.h"
#include "io/run_summary.h"
#include "app/experiment_file.h"
#include "app/flops_sources.h"
#include "report/published_results.h"
#include "report/report.h"

namespace sm4::cli {
namespace {

// Where --plots without --out writes: report/plots next to the database (results/report/plots
// for results/sm4.db).
std::filesystem::path plots_beside(const std::filesystem::path& database) {
    return database.parent_path() / "report" / "plots";
}

// --flops-sources: the decomposition of each experiment, with the database's test metrics when
// it exists.
void print_flops_sources(const std::vector<std::string>& names, const std::filesystem::path& database,
                         const ReportOptions& options, TableFormat format) {
    std::vector<std::pair<std::string, std::vector<FlopsSourceRow>>> experiments;
    for (const auto& name : names) experiments.emplace_back(name, flops_sources(experiment_file(name)));
    std::optional<Report> report;
    if (std::filesystem::exists(database)) report = build_report(ResultsDb(database), options);
    const auto file = options.paper_file.empty() ? default_published_results() : std::filesystem::path(options.paper_file);
    std::optional<PublishedResults> published;
    if (!file.empty()) published = read_published_results(file);
    const Table table = flops_sources_table(experiments, published ? &*published : nullptr,
                                            report ? report->scores.get() : nullptr);
    fmt::print("{}", print_table(table, format));
}

}  // namespace

void add_report_command(CLI::App& app) {
    struct Options {
        DatabaseOption database;
        ReportOptions report;
        TableFormat format = TableFormat::Markdown;
        bool json = false, tidy = false;
        std::string out;
        PlotFormat plots = PlotFormat::Png;
        std::vector<std::string> flops_sources;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("report", "Print the test, ablation and FLOPs tables (with Δ(%) against "
                                                     "HighMMT, and with --paper the paper's numbers); write them, "
                                                     "learning curves and trace plots");
    options->database.add_to(*command, "Results database", /*with_config=*/true);
    auto* experiment = command->add_option("--experiment", options->report.experiment,
                                           "Only runs of this experiment file (path or name, e.g. minibench)");
    auto* sweep = command->add_option("--sweep", options->report.sweep, "Only runs of this sweep (runs.sweep)");
    auto* runs = command->add_option("--runs", options->report.run_ids, "Only these run ids, e.g. --runs 1,2,3")
                     ->delimiter(',');
    experiment->excludes(sweep)->excludes(runs);
    sweep->excludes(runs);
    auto* format = add_choice(*command, "--format", options->format, "Tables on stdout");
    auto* json = command->add_flag("--json", options->json, "Print one JSON document (same as --format json)");
    auto* tidy = command->add_flag("--tidy", options->tidy,
                                   "Print every test metric as one tidy CSV: method,task,metric,mean,std,n");
    format->excludes(json)->excludes(tidy);
    json->excludes(tidy);
    command->add_option("--out", options->out, "Folder for main/ablation/flops .md .csv .tex, tidy.csv, report.json "
                                               "and plots/");
    auto* plots = add_choice(*command, "--plots", options->plots,
                             "Learning curves and trace plots: into --out's plots/, or without --out into report/plots "
                             "beside the database (results/report/plots)");
    auto* reference = command->add_option("--reference", options->report.reference,
                                          "Method every table's Δ(%) column is against (the paper's 4.1: HighMMT); "
                                          "an error when it has no runs (by default the column is left out then)")
                          ->capture_default_str();
    command->add_option("--ablation-reference", options->report.ablation_reference,
                        "Reference method of the ablation table (its differences, and <method>-no-* variants)")
        ->capture_default_str();
    command->add_flag("--paper", options->report.paper,
                      "Also print the paper's tables (results/published/peng25a.toml) beside the measured ones, a row "
                      "per source, with the gap in standard deviations");
    command->add_option("--paper-file", options->report.paper_file, "Published numbers to compare with (TOML; "
                                                                    "default results/published/peng25a.toml)");
    command->add_option("--paper-group", options->report.paper_group,
                        "The paper's task group to compare with: small, medium or large (default: the runs' own, "
                        "else medium)");
    command->add_option("--main", options->report.main_methods, "Methods of the main table, e.g. --main sm4,dense")
        ->delimiter(',');
    command->add_option("--ablation", options->report.ablation_methods,
                        "Methods of the ablation table besides the reference (default: <reference>-no-*)")
        ->delimiter(',');
    command->add_option("--flops-reference", options->report.flops_references,
                        "Methods the FLOPs table gives each method's reduction against, e.g. --flops-reference highmmt")
        ->delimiter(',')
        ->capture_default_str();
    command->add_option("--flops-sources", options->flops_sources,
                        "Only print where SM4's FLOPs reduction comes from (tokenisation, network, sparsity) for these "
                        "experiments, e.g. --flops-sources small,medium,large (no data needed; with runs in the "
                        "database, their test metrics beside)")
        ->delimiter(',');
    command->add_option("--digits", options->report.digits, "Decimals of means and stds")->capture_default_str();
    command->footer("Only completed runs count; a method is a sweep variant, or the run name for runs of `sm4 train`. "
                    "Plots: e.g. `sm4 report --runs 3 --plots svg` writes results/report/plots/<method>-run3-curves.svg. "
                    "Rules: README, \"sm4 report\".");
    command->callback([options, plots, reference] {
        options->report.reference_required = reference->count() > 0;
        const std::filesystem::path database = options->database.resolve();
        if (!options->flops_sources.empty()) {
            print_flops_sources(options->flops_sources, database, options->report,
                                options->json ? TableFormat::Json : options->format);
            return;
        }
        require_existing_database(database);
        const ResultsDb db(database);
        // the hint names --db unless a bare `sm4 flops` opens this database wherever it is pasted
        options->report.default_database = database_flag(kDefaultDatabase).empty() ? kDefaultDatabase : "";
        const Report report = build_report(db, options->report);
        if (options->tidy) fmt::print("{}", format_tidy(report));
        else fmt::print("{}", format_report(report, options->json ? TableFormat::Json : options->format));
        for (const auto& note : omitted_table_notes(report)) fmt::print(stderr, "note: {}\n", note);
        if (!options->out.empty()) {
            for (const auto& note : write_report(report, options->out, options->plots)) fmt::print(stderr, "note: {}\n", note);
            fmt::print(stderr, "wrote the report to {}\n", options->out);
        } else if (plots->count() > 0 && options->plots != PlotFormat::None) {
            const auto folder = plots_beside(database);
            for (const auto& note : write_plots(report, folder, options->plots)) fmt::print(stderr, "note: {}\n", note);
            fmt::print(stderr, "wrote the plots to {}\n", folder.string());
        }
    });
}

}  // namespace sm4::cli
