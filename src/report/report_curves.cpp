#include "report/report_curves.h"

#include <algorithm>
#include <map>

#include "report/report_scores.h"

namespace sm4 {
namespace {

constexpr int kPanelWidth = 640, kPanelHeight = 380;
const std::vector<std::string> kSplits = {"train", "val"};  // drawn in these colours (palette 0, 1)

// split -> metric -> step -> value (the last one logged at a step: a resumed run logs some twice)
using TaskCurves = std::map<std::string, std::map<std::string, std::map<std::int64_t, double>>>;

std::vector<std::string> task_order(const std::map<std::string, TaskCurves>& curves, const std::vector<MetricRecord>& history,
                                    const std::vector<std::string>& tasks) {
    std::vector<std::string> order;
    const auto add = [&](const std::string& task) {
        if (curves.count(task) && std::find(order.begin(), order.end(), task) == order.end()) order.push_back(task);
    };
    for (const auto& task : tasks) add(task);
    for (const auto& m : history) add(m.task);
    return order;
}

LineChart panel(const std::string& task, const std::string& metric, const TaskCurves& curves) {
    LineChart chart{task + ": " + metric, "step", metric, {}, kPanelWidth, kPanelHeight};
    for (std::size_t s = 0; s < kSplits.size(); ++s) {
        const auto split = curves.find(kSplits[s]);
        if (split == curves.end() || !split->second.count(metric)) continue;
        LineSeries series{kSplits[s], {}, {}, s == 1 ? Marker::Square : Marker::None, 2, s};
        for (const auto& [step, value] : split->second.at(metric)) {
            series.x.push_back(static_cast<double>(step));
            series.y.push_back(value);
        }
        chart.series.push_back(std::move(series));
    }
    return chart;
}

}  // namespace

std::optional<ChartGrid> learning_curves(const std::vector<MetricRecord>& history, const std::vector<std::string>& tasks,
                                         const std::string& subject) {
    std::map<std::string, TaskCurves> curves;
    std::map<std::string, std::vector<std::string>> metrics;  // task -> metrics besides loss, in logged order
    for (const auto& m : history) {
        if (m.task == "all" || (m.split != "train" && m.split != "val")) continue;
        curves[m.task][m.split][m.name][m.step] = m.value;
        auto& names = metrics[m.task];
        if (m.name != "loss" && std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    }
    ChartGrid grid{"Learning curves, " + subject, {}};
    for (const auto& task : task_order(curves, history, tasks)) {
        std::vector<LineChart> row{panel(task, "loss", curves.at(task))};
        if (row.front().series.empty()) row.clear();
        if (const std::string metric = headline_metric(metrics[task]); !metric.empty())
            row.push_back(panel(task, metric, curves.at(task)));
        if (!row.empty()) grid.rows.push_back(std::move(row));
    }
    if (grid.rows.empty()) return std::nullopt;
    return grid;
}

}  // namespace sm4
