#include "report/report.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/json.h"
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
    report.flops = flops_table(db, report.runs, methods, scores.tasks, options.flops_references);
    return report;
}

std::string format_report(const Report& report, TableFormat format) {
    if (format == TableFormat::Json) {
        Json out = Json::object();
        out.set("main", table_json(report.main)).set("ablation", table_json(report.ablation));
        out.set("flops", table_json(report.flops));
        Json notes = Json::array();
        for (const auto& note : report.notes) notes.push(note);
        out.set("notes", std::move(notes));
        return out.dump() + "\n";
    }
    std::string out;
    for (const Table* table : {&report.main, &report.ablation, &report.flops}) {
        if (!out.empty()) out += "\n";
        if (format == TableFormat::Csv) out += "# " + table->title + "\n";
        out += print_table(*table, format);
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
        write_text_file(folder / ("ablation" + extension), print_table(report.ablation, format));
        write_text_file(folder / ("flops" + extension), print_table(report.flops, format));
    }
    return write_run_plots(report.runs, folder / "plots", plots);
}

}  // namespace sm4
