#include "report/report.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "report/report_flops.h"
#include "report/report_plots.h"
#include "report/report_scores.h"
#include "report/report_select.h"

namespace sm4 {

Report build_report(const ResultsDb& db, const ReportOptions& options) {
    Report report;
    report.runs = select_report_runs(db, options, report.notes);
    const ScoreSet scores = collect_scores(db, report.runs);
    const MethodSplit split = split_methods(scores, options);
    report.main = main_table(scores, split.main, options.digits);
    report.ablation = ablation_table(scores, split, options.digits);
    std::vector<std::string> methods;
    for (const auto& m : scores.methods) methods.push_back(m.method);
    report.flops = flops_table(db, report.runs, methods, scores.tasks);
    return report;
}

std::string format_report(const Report& report, ReportFormat format) {
    std::string out;
    for (const ReportTable* table : {&report.main, &report.ablation, &report.flops}) {
        if (!out.empty()) out += "\n";
        if (format == ReportFormat::Csv) out += "# " + table->title + "\n";
        out += format_report_table(*table, format);
    }
    const char* comment = format == ReportFormat::Markdown ? "" : format == ReportFormat::Csv ? "# " : "% ";
    if (!report.notes.empty()) out += "\n";
    for (const auto& note : report.notes) out += fmt::format("{}{}\n", comment, note);
    return out;
}

PlotFormat parse_plot_format(const std::string& name) {
    if (name == "png") return PlotFormat::Png;
    if (name == "svg") return PlotFormat::Svg;
    if (name == "none") return PlotFormat::None;
    throw UsageError(fmt::format("--plots: expected png, svg or none, got '{}'", name));
}

std::vector<std::string> write_report(const Report& report, const std::filesystem::path& folder, PlotFormat plots) {
    for (ReportFormat format : {ReportFormat::Markdown, ReportFormat::Csv, ReportFormat::Latex}) {
        const std::string extension = "." + report_format_extension(format);
        write_text_file(folder / ("main" + extension), format_report_table(report.main, format));
        write_text_file(folder / ("ablation" + extension), format_report_table(report.ablation, format));
        write_text_file(folder / ("flops" + extension), format_report_table(report.flops, format));
    }
    return write_run_plots(report.runs, folder / "plots", plots);
}

}  // namespace sm4
