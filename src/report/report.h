// `sm4 report`: the paper's tables (test results per task and method, the ablation, parameters
// and FLOPs) from the results database, printed as markdown, CSV, LaTeX, JSON or one tidy CSV, and
// plots of each run's learning curves and routing trace. Torch-free: it reads only the database
// and trace.h5 files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/results_db.h"
#include "core/choice.h"
#include "core/config.h"
#include "core/table.h"

namespace sm4 {

struct ScoreSet;

// Which runs, and how methods are grouped into tables. At most one of experiment, sweep and
// run_ids; none = every run of the database. Only completed runs are reported.
struct ReportOptions {
    std::string experiment;                  // runs whose config file is this path or file stem
    std::string sweep;                       // runs.sweep
    std::vector<std::int64_t> run_ids;
    // Delta(%)'s reference (a column of every results table): used when among the runs; when
    // reference_required (the user named it) a UsageError otherwise.
    std::string reference = "highmmt";
    bool reference_required = false;
    std::string ablation_reference = "sm4";  // the ablation table's reference method
    std::vector<std::string> main_methods;   // empty: every method not only in the ablation table
    std::vector<std::string> ablation_methods;  // empty: methods named "<ablation_reference>-no-*"
    int digits = 3;                          // decimals of means and stds
    // --paper: the paper's tables beside the measured ones (report_paper.h), from paper_file
    // (empty: results/published/peng25a.toml) for paper_group (empty: the runs' group).
    bool paper = false;
    std::string paper_file, paper_group;
    // Methods the FLOPs table states each method's reduction against (those present in the runs).
    std::vector<std::string> flops_references{"highmmt", "dense-matched"};
    // The database commands open without --db: the report's `sm4 flops --run N` hints add
    // `--db PATH` when the report's database is another (empty: always).
    std::string default_database = kDefaultDatabase;
};

// A selected completed run: its method (runs.variant, or runs.name for a run without a variant),
// where its trace should be, and what its stored config and metrics say for the plots.
struct ReportRun {
    RunRecord run;
    std::string method;
    std::filesystem::path trace;
    std::vector<std::string> tasks;       // data.tasks of its stored config; empty when unreadable
    std::vector<MetricRecord> history;    // splits train and val, source train: the learning curves
    std::vector<ModalityEpochRecord> modality_epochs;  // AEA's and ALP's epochs (report_adaptive.h)
};

struct Report {
    Table main, ablation, flops;
    std::vector<Table> paper;        // --paper: the paper's tables beside the measured ones
    Table tidy;                      // method, task, metric, mean, std, n: every test metric (format_tidy)
    std::vector<ReportRun> runs;     // ascending id
    std::vector<std::string> tasks;  // the tables' task order: the runs' data.tasks, then any others
    std::vector<std::string> notes;  // about the selection (runs left out and why)
    std::filesystem::path database;
    std::shared_ptr<const ScoreSet> scores;  // the test scores the tables come from (report_scores.h)

    bool has_ablation() const { return !ablation.rows.empty(); }
};

// UsageError naming the unknown sweep, experiment or run ids (and listing those that exist),
// when more than one selection is given, or when no selected run is completed.
Report build_report(const ResultsDb& db, const ReportOptions& options);

// The tables in `format`, separated by blank lines (an empty ablation table left out), then the
// selection notes. JSON: one document (report_json).
std::string format_report(const Report& report, TableFormat format);

// Notes for stderr about tables left out: an empty ablation table and why.
std::vector<std::string> omitted_table_notes(const Report& report);

// Every test metric as one tidy CSV for pandas: the header `method,task,metric,mean,std,n`, then a
// record per method x task x metric (tasks in table order, each task's headline metric first);
// std empty for a single run.
std::string format_tidy(const Report& report);

enum class PlotFormat { Png, Svg, None };
template <> struct ChoiceNames<PlotFormat> { static constexpr std::array<std::string_view, 3> names{"png", "svg", "none"}; };

// Writes main.{md,csv,tex}, ablation.* (not when empty), flops.*, tidy.csv, report.json and
// write_plots' files into `folder`, each file atomically. Returns notes: plots skipped (no trace,
// dense backbone, pace disabled, no metrics) and why.
std::vector<std::string> write_report(const Report& report, const std::filesystem::path& folder, PlotFormat plots);

// Only the plots, into `folder`: for every run <method>-run<id>-curves (learning curves) and, with
// a trace, -entropy, -load and -pace. Returns notes as write_report.
std::vector<std::string> write_plots(const Report& report, const std::filesystem::path& folder, PlotFormat plots);

}  // namespace sm4
