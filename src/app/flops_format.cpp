// What `sm4 flops` shows: a table per task, a summary, and the same numbers as JSON.
#include <fmt/format.h>

#include "app/flops_job.h"
#include "core/text.h"

namespace sm4 {
namespace {

const char* const kConfigured = "configured";
const char* const kDense = "dense";

const FlopsRecord* find_row(const std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task,
                            const std::string& modality, const std::string& component) {
    for (const auto& r : rows)
        if (r.model == model && r.task == task && r.modality == modality && r.component == component) return &r;
    return nullptr;
}

Cell reduction_cell(double flops, double reference) {
    const auto reduction = reduction_percent(flops, reference);
    return reduction ? number_cell(*reduction, 2) : missing_cell();
}

Cell measured_cell(const std::optional<double>& value) { return value ? count_cell(*value) : missing_cell(); }

// The whole model's parameters counted once per task's rows (shared parts appear in every task).
double task_params(const FlopsReport& report, const std::string& task) {
    double params = 0;
    for (const auto& r : report.rows)
        if (r.model == kConfigured && r.task == task) params += static_cast<double>(r.params);
    return params;
}

Json totals_json(const FlopsReport& report, const std::string& task) {
    const FlopsTotals c = flops_totals(report.rows, kConfigured, task), d = flops_totals(report.rows, kDense, task);
    const auto reduction = reduction_percent(c.flops, d.flops);
    Json out = Json::object();
    out.set("params", task.empty() ? Json(static_cast<double>(model_params(report.rows, kConfigured).value_or(0)))
                                   : Json(task_params(report, task)));
    out.set("active_params", c.active_params);
    out.set("flops", c.flops);
    out.set("dense_flops", d.flops);
    out.set("reduction_percent", reduction ? Json(*reduction) : Json());
    out.set("measured_flops", c.has_measured ? Json(c.measured) : Json());
    out.set("dense_measured_flops", d.has_measured ? Json(d.measured) : Json());
    return out;
}

}  // namespace

Table flops_task_table(const FlopsReport& report, const std::string& task) {
    Table table;
    table.title = task;
    table.columns = {{"modality"}, {"component"},   {"params"},      {"active params"},
                     {"FLOPs/sample", "flops"}, {"dense FLOPs", "dense_flops"}, {"reduction %", "reduction_percent"},
                     {"measured", "measured_flops"}};
    for (const auto& r : report.rows) {
        if (r.task != task) continue;
        const bool configured = r.model == kConfigured;
        // A dense row shows only where the configured model has no such part (its feed-forward).
        if (!configured && find_row(report.rows, kConfigured, task, r.modality, r.component)) continue;
        const FlopsRecord* dense = configured ? find_row(report.rows, kDense, task, r.modality, r.component) : &r;
        table.add_row({text_cell(r.modality.empty() ? "(all)" : r.modality), text_cell(r.component),
                       configured ? count_cell(static_cast<double>(r.params)) : missing_cell(),
                       configured ? count_cell(r.active_params) : missing_cell(),
                       configured ? count_cell(r.flops) : missing_cell(), dense ? count_cell(dense->flops) : missing_cell(),
                       configured && dense ? reduction_cell(r.flops, dense->flops) : missing_cell(),
                       configured ? measured_cell(r.measured_flops) : missing_cell()});
    }
    const FlopsTotals c = flops_totals(report.rows, kConfigured, task), d = flops_totals(report.rows, kDense, task);
    table.add_row({text_cell("total"), text_cell(""), count_cell(task_params(report, task)), count_cell(c.active_params),
                   count_cell(c.flops), count_cell(d.flops), reduction_cell(c.flops, d.flops),
                   c.has_measured ? count_cell(c.measured) : missing_cell()});
    return table;
}

std::string format_flops(const FlopsReport& report) {
    std::string out;
    for (const auto& task : report.tasks) out += print_table(flops_task_table(report, task), TableFormat::Text) + "\n";
    const FlopsRecord* c = find_row(report.rows, kConfigured, "", "", kTotal);
    const FlopsRecord* d = find_row(report.rows, kDense, "", "", kTotal);
    if (c && d) {
        const auto reduction = reduction_percent(c->flops, d->flops);
        out += fmt::format("model: {} params ({} dense); mean over tasks per sample: {} active params, {} FLOPs "
                           "({} dense, reduction {}%)\n",
                           si_count(static_cast<double>(c->params)), si_count(static_cast<double>(d->params)),
                           si_count(c->active_params), si_count(c->flops), si_count(d->flops),
                           reduction ? fmt::format("{:.2f}", *reduction) : "-");
        if (c->measured_flops && d->measured_flops)
            out += fmt::format("measured on batches of {} ({} weights): {} FLOPs/sample ({} analytic), dense {} ({})\n",
                               report.batch, report.weights, si_count(*c->measured_flops), si_count(c->flops),
                               si_count(*d->measured_flops), si_count(d->flops));
    }
    out += fmt::format("{} rows written to {} ({})\n", report.rows.size(), report.database.string(),
                       report.run ? fmt::format("run {}", *report.run) : "config " + report.config_hash);
    return out;
}

Json flops_json(const FlopsReport& report) {
    Json out = Json::object();
    out.set("run", report.run ? Json(*report.run) : Json());
    out.set("config_hash", report.config_hash);
    out.set("database", report.database.string());
    out.set("batch", report.batch);
    Json tasks = Json::object();
    for (const auto& task : report.tasks) tasks.set(task, totals_json(report, task));
    out.set("tasks", std::move(tasks));
    out.set("total", totals_json(report, ""));
    Json rows = Json::array();
    for (const auto& r : report.rows) {
        Json row = Json::object();
        row.set("model", r.model).set("task", r.task).set("modality", r.modality).set("component", r.component);
        row.set("params", r.params).set("active_params", r.active_params).set("flops", r.flops);
        row.set("measured_flops", r.measured_flops ? Json(*r.measured_flops) : Json());
        rows.push(std::move(row));
    }
    out.set("rows", std::move(rows));
    return out;
}

}  // namespace sm4
