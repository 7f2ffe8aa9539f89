// `sm4 report`: the paper's tables (test results per task and method, the ablation, parameters
// and FLOPs) from the results database, printed as markdown, CSV or LaTeX, and plots of the runs'
// routing traces. Torch-free: it reads only the database and trace.h5 files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/results_db.h"
#include "core/choice.h"
#include "core/table.h"

namespace sm4 {

// Which runs, and how methods are grouped into tables. At most one of experiment, sweep and
// run_ids; none = every run of the database. Only completed runs are reported.
struct ReportOptions {
    std::string experiment;                  // runs whose config file is this path or file stem
    std::string sweep;                       // runs.sweep
    std::vector<std::int64_t> run_ids;
    std::string reference = "sm4";           // the ablation table's reference method
    std::vector<std::string> main_methods;   // empty: every method not only in the ablation table
    std::vector<std::string> ablation_methods;  // empty: methods named "<reference>-no-*"
    int digits = 3;                          // decimals of means and stds
    // Methods the FLOPs table states each method's reduction against (those present in the runs).
    std::vector<std::string> flops_references{"highmmt", "dense-matched"};
};

// A selected completed run: its method (runs.variant, or runs.name for a run without a variant)
// and where its trace should be.
struct ReportRun {
    RunRecord run;
    std::string method;
    std::filesystem::path trace;
};

struct Report {
    Table main, ablation, flops;
    std::vector<ReportRun> runs;     // ascending id
    std::vector<std::string> notes;  // about the selection (runs left out and why)
};

// UsageError naming the unknown sweep, experiment or run ids (and listing those that exist),
// when more than one selection is given, or when no selected run is completed.
Report build_report(const ResultsDb& db, const ReportOptions& options);

// The three tables in `format`, separated by blank lines, then the selection notes (JSON: one
// document {"main": [...], "ablation": [...], "flops": [...], "notes": [...]}).
std::string format_report(const Report& report, TableFormat format);

enum class PlotFormat { Png, Svg, None };
template <> struct ChoiceNames<PlotFormat> { static constexpr std::array<std::string_view, 3> names{"png", "svg", "none"}; };

// Writes main.{md,csv,tex}, ablation.*, flops.* and plots/<method>-run<id>-{entropy,pace,load}.<ext>
// into `folder`, each file atomically. Returns notes: plots skipped (no trace, dense backbone,
// pace disabled) and why.
std::vector<std::string> write_report(const Report& report, const std::filesystem::path& folder, PlotFormat plots);

}  // namespace sm4
