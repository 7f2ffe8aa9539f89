#include "report/report_flops.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "core/text.h"

namespace sm4 {
namespace {

// A task's cost in one model of one run's rows, and the model's parameters.
struct TaskCost {
    FlopsTotals totals;
    std::optional<std::int64_t> params;
};

std::optional<TaskCost> task_cost(const std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task) {
    const FlopsTotals totals = flops_totals(rows, model, task);
    if (!totals.found) return std::nullopt;
    return TaskCost{totals, model_params(rows, model)};
}

Cell reduction_cell(double flops, double reference) {
    const auto reduction = reduction_percent(flops, reference);
    if (!reduction) return missing_cell();
    Cell cell = number_cell(*reduction, 1);
    cell.csv_decimals = 4;
    return cell;
}

}  // namespace

namespace {

// Each method's FLOPs rows, run by run (runs without any left out).
using MethodRows = std::map<std::string, std::vector<std::vector<FlopsRecord>>>;
MethodRows rows_by_method(const ResultsDb& db, const std::vector<ReportRun>& runs) {
    MethodRows out;
    for (const auto& r : runs) {
        auto rows = db.flops(r.run.id);
        if (!rows.empty()) out[r.method].push_back(std::move(rows));
    }
    return out;
}

// A task's cost in the first of a method's runs that has the task (a per-task method has one
// run per task).
std::optional<TaskCost> method_cost(const MethodRows& rows, const std::string& method, const std::string& model,
                                    const std::string& task) {
    const auto it = rows.find(method);
    if (it == rows.end()) return std::nullopt;
    for (const auto& run_rows : it->second)
        if (auto cost = task_cost(run_rows, model, task)) return cost;
    return std::nullopt;
}

}  // namespace

Table flops_table(const ResultsDb& db, const std::vector<ReportRun>& runs, const std::vector<std::string>& methods,
                  const std::vector<std::string>& tasks, const std::vector<std::string>& references,
                  const std::string& db_flag) {
    const auto by_method = rows_by_method(db, runs);
    std::vector<std::string> present;  // references with FLOPs rows
    for (const auto& ref : references)
        if (by_method.count(ref)) present.push_back(ref);
    Table table;
    table.title = "Parameters and FLOPs";
    table.columns = {{"method"}, {"task"}, {"params"}, {"active params"}, {"FLOPs/sample", "flops"}};
    for (const auto& ref : present) table.columns.push_back({fmt::format("reduction vs {} %", ref), "reduction_vs_" + ref});
    table.columns.push_back({"same-width dense FLOPs", "dense_flops"});
    table.columns.push_back({"reduction vs same-width dense %", "reduction_percent"});
    std::vector<std::string> missing;
    for (const auto& method : methods) {
        const auto it = by_method.find(method);
        if (it == by_method.end()) {
            for (const auto& r : runs)
                if (r.method == method) {
                    missing.push_back(fmt::format("{} (`sm4 flops --run {}{}`)", method, r.run.id, db_flag));
                    break;
                }
            continue;
        }
        for (const auto& task : tasks) {
            const auto cost = method_cost(by_method, method, "configured", task);
            if (!cost) continue;
            std::vector<Cell> row{text_cell(method), text_cell(task),
                                  cost->params ? count_cell(static_cast<double>(*cost->params)) : missing_cell(),
                                  count_cell(cost->totals.active_params), count_cell(cost->totals.flops)};
            for (const auto& ref : present) {
                const auto other = method_cost(by_method, ref, "configured", task);
                row.push_back(other ? reduction_cell(cost->totals.flops, other->totals.flops) : missing_cell());
            }
            const auto dense = method_cost(by_method, method, "dense", task);
            row.push_back(dense ? count_cell(dense->totals.flops) : missing_cell());
            row.push_back(dense ? reduction_cell(cost->totals.flops, dense->totals.flops) : missing_cell());
            table.add_row(std::move(row));
        }
    }
    table.notes.push_back("params: the whole model; active params and FLOPs: per sample of the task (a multiply-add = 2 "
                          "FLOPs); reduction vs M: 1 - FLOPs / M's FLOPs on the task (--flops-reference picks M); "
                          "same-width dense: the method's own config with a dense feed-forward and plain attention.");
    if (!missing.empty())
        table.notes.push_back("no FLOPs counted yet for " + join(missing, ", ") + "; run the command to fill them.");
    return table;
}

}  // namespace sm4
