// The printers of `sm4 flops`: text tables and JSON.
#include <fmt/format.h>

#include <cmath>

#include "core/text_table.h"
#include "model/flop_count.h"
#include "train/flops_job.h"

namespace sm4 {
namespace {

std::string count(double value) {
    const double a = std::fabs(value);
    if (a >= 1e9) return fmt::format("{:.2f}G", value / 1e9);
    if (a >= 1e6) return fmt::format("{:.2f}M", value / 1e6);
    if (a >= 1e4) return fmt::format("{:.1f}k", value / 1e3);
    return fmt::format("{:.0f}", value);
}

// 1 - configured / dense, in percent ("-" without a dense figure).
std::string reduction(double configured, double dense) {
    return dense > 0 ? fmt::format("{:.2f}", 100.0 * (1.0 - configured / dense)) : "-";
}

const FlopsRecord* find_row(const std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task,
                            const std::string& modality, const std::string& component) {
    for (const auto& r : rows)
        if (r.model == model && r.task == task && r.modality == modality && r.component == component) return &r;
    return nullptr;
}

std::string measured(const std::optional<double>& value) { return value ? count(*value) : "-"; }

std::string task_table(const FlopsReport& report, const std::string& task) {
    std::vector<TextRow> rows;
    double params = 0;
    for (const auto& r : report.rows) {
        if (r.task != task) continue;
        const bool configured = r.model == "configured";
        if (!configured && find_row(report.rows, "configured", task, r.modality, r.component)) continue;
        const FlopsRecord* dense = configured ? find_row(report.rows, "dense", task, r.modality, r.component) : &r;
        if (configured) params += static_cast<double>(r.params);
        rows.push_back({r.modality.empty() ? "(all)" : r.modality, r.component, configured ? count(static_cast<double>(r.params)) : "-",
                        configured ? count(r.active_params) : "-", configured ? count(r.flops) : "-",
                        dense ? count(dense->flops) : "-", configured && dense ? reduction(r.flops, dense->flops) : "-",
                        configured ? measured(r.measured_flops) : "-"});
    }
    const FlopsTotals c = task_totals(report.rows, "configured", task), d = task_totals(report.rows, "dense", task);
    rows.push_back({"total", "", count(params), count(c.active_params), count(c.flops), count(d.flops),
                    reduction(c.flops, d.flops), c.has_measured ? count(c.measured) : "-"});
    return format_table({"modality", "component", "params", "active params", "FLOPs/sample", "dense FLOPs",
                         "reduction %", "measured"},
                        rows);
}

std::string json_number(double value) { return std::isfinite(value) ? fmt::format("{}", value) : "null"; }

std::string json_totals(const FlopsReport& report, const std::string& task) {
    const FlopsTotals c = task_totals(report.rows, "configured", task), d = task_totals(report.rows, "dense", task);
    double params = 0;
    for (const auto& r : report.rows)
        if (r.model == "configured" && r.task == task) params += static_cast<double>(r.params);
    return fmt::format("{{\"params\": {}, \"active_params\": {}, \"flops\": {}, \"dense_flops\": {}, "
                       "\"reduction_percent\": {}, \"measured_flops\": {}, \"dense_measured_flops\": {}}}",
                       json_number(params), json_number(c.active_params), json_number(c.flops), json_number(d.flops),
                       d.flops > 0 ? json_number(100.0 * (1.0 - c.flops / d.flops)) : "null",
                       c.has_measured ? json_number(c.measured) : "null",
                       d.has_measured ? json_number(d.measured) : "null");
}

}  // namespace

std::string format_flops(const FlopsReport& report) {
    std::string out;
    for (const auto& task : report.tasks) out += fmt::format("{}\n{}\n", task, task_table(report, task));
    const FlopsRecord* c = find_row(report.rows, "configured", "", "", kTotal);
    const FlopsRecord* d = find_row(report.rows, "dense", "", "", kTotal);
    if (c && d) {
        out += fmt::format("model: {} params ({} dense); mean over tasks per sample: {} active params, {} FLOPs "
                           "({} dense, reduction {}%)\n",
                           count(static_cast<double>(c->params)), count(static_cast<double>(d->params)),
                           count(c->active_params), count(c->flops), count(d->flops), reduction(c->flops, d->flops));
        if (c->measured_flops && d->measured_flops)
            out += fmt::format("measured on batches of {} ({} weights): {} FLOPs/sample ({} analytic), dense {} ({})\n",
                               report.batch, report.weights, count(*c->measured_flops), count(c->flops),
                               count(*d->measured_flops), count(d->flops));
    }
    out += fmt::format("{} rows written to {} ({})\n", report.rows.size(), report.database.string(),
                       report.run ? fmt::format("run {}", *report.run) : "config " + report.config_hash);
    return out;
}

std::string flops_json(const FlopsReport& report) {
    std::string out = "{\"run\": " + (report.run ? std::to_string(*report.run) : std::string("null"));
    out += fmt::format(", \"config_hash\": {:?}, \"database\": {:?}, \"batch\": {}, \"tasks\": {{", report.config_hash,
                       report.database.string(), report.batch);
    for (std::size_t i = 0; i < report.tasks.size(); ++i)
        out += fmt::format("{}{:?}: {}", i ? ", " : "", report.tasks[i], json_totals(report, report.tasks[i]));
    out += "}, \"total\": " + json_totals(report, "") + ", \"rows\": [";
    for (std::size_t i = 0; i < report.rows.size(); ++i) {
        const auto& r = report.rows[i];
        out += fmt::format("{}{{\"model\": {:?}, \"task\": {:?}, \"modality\": {:?}, \"component\": {:?}, \"params\": {}, "
                           "\"active_params\": {}, \"flops\": {}, \"measured_flops\": {}}}",
                           i ? ", " : "", r.model, r.task, r.modality, r.component, r.params, json_number(r.active_params),
                           json_number(r.flops), r.measured_flops ? json_number(*r.measured_flops) : "null");
    }
    return out + "]}\n";
}

}  // namespace sm4
