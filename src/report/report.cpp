#include "report/report.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/json.h"
#include "report/report_export.h"
#include "report/report_flops.h"
#include "report/report_paper.h"
#include "report/report_plots.h"
#include "report/report_scores.h"
#include "report/report_select.h"

namespace sm4 {

namespace {

void add_paper_tables(Report& report, const ScoreSet& scores, const ReportOptions& options) {
    const std::filesystem::path file = options.paper_file.empty() ? default_published_results()
                                                                  : std::filesystem::path(options.paper_file);
    if (file.empty()) {
        report.notes.push_back("--paper: no published results file (results/published/peng25a.toml) here or in the "
                               "source tree; name one with --paper-file");
        return;
    }
    PaperComparison comparison =
        paper_comparison(scores, read_published_results(file), options.paper_group, options.reference, options.digits);
    report.paper = std::move(comparison.tables);
    report.notes.insert(report.notes.end(), comparison.notes.begin(), comparison.notes.end());
}

// All paper tables in one format, separated by blank lines (CSV: each after a "# title" line).
std::string format_paper(const Report& report, TableFormat format) {
    std::string out;
    for (const auto& table : report.paper) {
        if (!out.empty()) out += "\n";
        if (format == TableFormat::Csv) out += "# " + table.title + "\n";
        out += print_table(table, format);
    }
    return out;
}

}  // namespace

Report build_report(const ResultsDb& db, const ReportOptions& options) {
    Report report;
    report.database = db.path();
    report.runs = select_report_runs(db, options, report.notes);
    auto shared_scores = std::make_shared<ScoreSet>(collect_scores(db, report.runs));
    const ScoreSet& scores = *shared_scores;
    report.scores = shared_scores;
    report.tasks = scores.tasks;
    const MethodSplit split = split_methods(scores, options);
    report.main = main_table(scores, split, options.digits);
    report.ablation = ablation_table(scores, split, options.digits);
    report.tidy = tidy_table(scores, split.delta_reference);
    if (options.paper) add_paper_tables(report, scores, options);
    std::vector<std::string> methods;
    for (const auto& m : scores.methods) methods.push_back(m.method);
    report.flops = flops_table(db, report.runs, methods, scores.tasks, options.flops_references,
                               database_flag(db.path().string(), options.default_database));
    return report;
}

std::vector<std::string> omitted_table_notes(const Report& report) {
    return report.has_ablation() ? std::vector<std::string>{} : report.ablation.notes;
}

std::string format_tidy(const Report& report) { return print_table(report.tidy, TableFormat::Csv); }

std::string format_report(const Report& report, TableFormat format) {
    if (format == TableFormat::Json) return report_json(report).dump() + "\n";
    std::string out;
    for (const Table* table : {&report.main, &report.ablation, &report.flops}) {
        if (table == &report.ablation && !report.has_ablation()) continue;  // omitted_table_notes says why
        if (!out.empty()) out += "\n";
        if (format == TableFormat::Csv) out += "# " + table->title + "\n";
        out += print_table(*table, format);
        if (table == &report.main && !report.paper.empty()) out += "\n" + format_paper(report, format);
    }
    const char* comment = format == TableFormat::Markdown || format == TableFormat::Text ? ""
                          : format == TableFormat::Csv                                   ? "# "
                                                                                         : "% ";
    if (!report.notes.empty()) out += "\n";
    for (const auto& note : report.notes) out += fmt::format("{}{}\n", comment, note);
    return out;
}

std::vector<std::string> write_report(const Report& report, const std::filesystem::path& folder, PlotFormat plots) {
    for (TableFormat format : {TableFormat::Markdown, TableFormat::Csv, TableFormat::Latex}) {
        const std::string extension = "." + table_format_extension(format);
        write_text_file(folder / ("main" + extension), print_table(report.main, format));
        if (report.has_ablation()) write_text_file(folder / ("ablation" + extension), print_table(report.ablation, format));
        write_text_file(folder / ("flops" + extension), print_table(report.flops, format));
        if (!report.paper.empty()) write_text_file(folder / ("paper" + extension), format_paper(report, format));
    }
    write_text_file(folder / "tidy.csv", format_tidy(report));
    write_text_file(folder / "report.json", format_report(report, TableFormat::Json));
    return write_plots(report, folder / "plots", plots);
}

std::vector<std::string> write_plots(const Report& report, const std::filesystem::path& folder, PlotFormat plots) {
    return write_run_plots(report.runs, folder, plots);
}

}  // namespace sm4
