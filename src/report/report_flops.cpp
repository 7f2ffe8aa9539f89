#include "report/report_flops.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "core/text.h"

namespace sm4 {
namespace {

struct TaskCost {
    double params = 0, active_params = 0, flops = 0;
    bool has_params = false;
};

// Sums a model's rows for `task`, or takes its `total` row for the task when there is one.
std::optional<TaskCost> task_cost(const std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task) {
    TaskCost sum, total;
    bool any = false, has_total = false;
    for (const auto& r : rows) {
        if (r.model != model) continue;
        if (r.task.empty() && r.component == "total") {
            sum.params = total.params = static_cast<double>(r.params);
            sum.has_params = total.has_params = true;
        }
        if (r.task != task) continue;
        if (r.component == "total") {
            total.active_params = r.active_params, total.flops = r.flops, has_total = true;
        } else {
            sum.active_params += r.active_params, sum.flops += r.flops;
        }
        any = true;
    }
    if (!any) return std::nullopt;
    return has_total ? total : sum;
}

ReportCell count_cell(double value) { return text_cell(si_count(value), fmt::format("{:.0f}", value)); }

}  // namespace

std::string si_count(double value) {
    const double magnitude = std::fabs(value);
    const auto scaled = [&](double unit, const char* suffix) {
        const double v = value / unit;
        const int decimals = std::fabs(v) >= 100 ? 0 : std::fabs(v) >= 10 ? 1 : 2;
        return fmt::format("{:.{}f} {}", v, decimals, suffix);
    };
    if (magnitude >= 1e12) return scaled(1e12, "T");
    if (magnitude >= 1e9) return scaled(1e9, "G");
    if (magnitude >= 1e6) return scaled(1e6, "M");
    if (magnitude >= 1e3) return scaled(1e3, "k");
    return fmt::format("{:.0f}", value);
}

ReportTable flops_table(const ResultsDb& db, const std::vector<ReportRun>& runs, const std::vector<std::string>& methods,
                        const std::vector<std::string>& tasks) {
    ReportTable table;
    table.title = "Parameters and FLOPs";
    table.columns = {{"method", 0},        {"task", 0},         {"params", 0},       {"active params", 0},
                     {"FLOPs/sample", 0},  {"dense FLOPs/sample", 0}, {"FLOPs reduction %", 0}};
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
                std::vector<ReportCell> row = {text_cell(method), text_cell(task),
                                               cost->has_params ? count_cell(cost->params) : text_cell("-"),
                                               count_cell(cost->active_params), count_cell(cost->flops)};
                row.push_back(dense ? count_cell(dense->flops) : text_cell("-"));
                if (dense && dense->flops > 0) {
                    const double reduction = 100.0 * (1.0 - cost->flops / dense->flops);
                    row.push_back(text_cell(fmt::format("{:.1f}", reduction), fmt::format("{:.4f}", reduction)));
                } else {
                    row.push_back(text_cell("-"));
                }
                table.rows.push_back(std::move(row));
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
