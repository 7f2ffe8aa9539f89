#include "report/report_export.h"

#include <fmt/format.h>

#include <string>

#include "report/delta_percent.h"

namespace sm4 {
namespace {

// 12 significant digits: 0.92, not the 0.9199999999999999 a mean of 0.90 and 0.94 comes to.
Cell rounded_cell(double value) { return value_cell(std::stod(fmt::format("{:.12g}", value))); }

Json strings_json(const std::vector<std::string>& texts) {
    Json out = Json::array();
    for (const auto& text : texts) out.push(text);
    return out;
}

}  // namespace

Table tidy_table(const ScoreSet& scores, const std::string& delta_reference) {
    const MethodScores* reference = delta_reference.empty() ? nullptr : scores.find(delta_reference);
    Table table;
    table.title = "Test metrics (tidy)";
    table.columns = {{"method"}, {"task"}, {"metric"}, {"mean"}, {"std"}, {"n"}};
    for (const auto& method : scores.methods) {
        for (const auto& task : scores.tasks) {
            const auto values = method.all.find(task);
            if (values == method.all.end()) continue;
            for (const auto& metric : scores.metrics.at(task)) {
                const auto found = values->second.find(metric);
                if (found == values->second.end()) continue;
                const Statistic stat = *stat_cell(found->second).stat;
                table.add_row({text_cell(method.method), text_cell(task), text_cell(metric), rounded_cell(stat.mean),
                               stat.n > 1 ? rounded_cell(stat.std) : missing_cell(),
                               value_cell(static_cast<std::int64_t>(stat.n))});
            }
        }
        if (!reference) continue;
        if (const auto delta = method_delta_percent(scores, method, *reference))
            table.add_row({text_cell(method.method), text_cell("all"), text_cell("delta_percent_vs_" + delta_reference),
                           rounded_cell(*delta), missing_cell(), value_cell(static_cast<std::int64_t>(method.seeds.size()))});
    }
    return table;
}

Json report_json(const Report& report) {
    Json runs = Json::array();
    for (const auto& r : report.runs)
        runs.push(Json::object()
                      .set("id", r.run.id)
                      .set("name", r.run.name)
                      .set("method", r.method)
                      .set("seed", r.run.seed)
                      .set("sweep", r.run.sweep)
                      .set("variant", r.run.variant));
    Json out = Json::object();
    out.set("database", report.database.string()).set("tasks", strings_json(report.tasks)).set("runs", std::move(runs));
    Json table_notes = Json::object();
    for (const auto& [key, table] : {std::pair{"main", &report.main}, {"ablation", &report.ablation},
                                     {"flops", &report.flops}, {"tidy", &report.tidy}}) {
        out.set(key, table_json(*table));
        table_notes.set(key, strings_json(table->notes));
    }
    Json paper = Json::array();
    for (const auto& table : report.paper)
        paper.push(Json::object().set("title", table.title).set("rows", table_json(table)).set("notes", strings_json(table.notes)));
    out.set("paper", std::move(paper));
    std::vector<std::string> notes = report.notes;
    for (const auto& note : omitted_table_notes(report)) notes.push_back(note);
    out.set("notes", strings_json(notes)).set("table_notes", std::move(table_notes));
    return out;
}

}  // namespace sm4
