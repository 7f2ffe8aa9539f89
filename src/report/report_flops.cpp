#include "report/report_flops.h"

#include <fmt/format.h>

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

Table flops_table(const ResultsDb& db, const std::vector<ReportRun>& runs, const std::vector<std::string>& methods,
                  const std::vector<std::string>& tasks) {
    Table table;
    table.title = "Parameters and FLOPs";
    table.columns = {{"method"}, {"task"}, {"params"}, {"active params"}, {"FLOPs/sample", "flops"},
                     {"dense FLOPs/sample", "dense_flops"}, {"FLOPs reduction %", "reduction_percent"}};
    std::vector<std::string> missing;
    for (const auto& method : methods) {
        std::vector<std::pair<std::int64_t, std::vector<FlopsRecord>>> method_rows;
        std::int64_t first_run = 0;
        for (const auto& r : runs) {
            if (r.method != method) continue;
            if (!first_run) first_run = r.run.id;
            auto rows = db.flops(r.run.id);
            if (!rows.empty()) method_rows.emplace_back(r.run.id, std::move(rows));
        }
        if (method_rows.empty()) {
            missing.push_back(fmt::format("{} (`sm4 flops --run {}`)", method, first_run));
            continue;
        }
        for (const auto& task : tasks) {
            for (const auto& [run_id, rows] : method_rows) {
                const auto cost = task_cost(rows, "configured", task);
                if (!cost) continue;
                const auto dense = task_cost(rows, "dense", task);
                table.add_row({text_cell(method), text_cell(task),
                               cost->params ? count_cell(static_cast<double>(*cost->params)) : missing_cell(),
                               count_cell(cost->totals.active_params), count_cell(cost->totals.flops),
                               dense ? count_cell(dense->totals.flops) : missing_cell(),
                               dense ? reduction_cell(cost->totals.flops, dense->totals.flops) : missing_cell()});
                break;
            }
        }
    }
    table.notes.push_back("params: the whole model; active params and FLOPs: per sample of the task (a multiply-add = 2 "
                          "FLOPs); reduction: 1 - FLOPs / the dense counterpart's FLOPs of the same width.");
    if (!missing.empty())
        table.notes.push_back("no FLOPs counted yet for " + join(missing, ", ") + "; run the command to fill them.");
    return table;
}

}  // namespace sm4
