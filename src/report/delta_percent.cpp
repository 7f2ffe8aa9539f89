#include "report/delta_percent.h"

#include <fmt/format.h>

#include <numeric>

#include "report/report_scores.h"

namespace sm4 {

std::optional<double> delta_percent(const std::vector<TaskMeans>& tasks) {
    if (tasks.empty()) return std::nullopt;
    double sum = 0.0;
    for (const auto& t : tasks) {
        if (t.reference == 0.0) return std::nullopt;
        sum += t.direction * (t.model - t.reference) / t.reference;
    }
    return 100.0 * sum / static_cast<double>(tasks.size());
}

namespace {

std::optional<double> mean_of(const MethodScores& method, const std::string& task) {
    const auto found = method.values.find(task);
    if (found == method.values.end() || found->second.empty()) return std::nullopt;
    return std::accumulate(found->second.begin(), found->second.end(), 0.0) / static_cast<double>(found->second.size());
}

}  // namespace

std::optional<double> method_delta_percent(const ScoreSet& scores, const MethodScores& method,
                                           const MethodScores& reference) {
    std::vector<TaskMeans> tasks;
    for (const auto& task : scores.tasks) {
        const auto m = mean_of(method, task), r = mean_of(reference, task);
        if (!m || !r) return std::nullopt;
        tasks.push_back({*m, *r, metric_direction(scores.metric.at(task))});
    }
    return delta_percent(tasks);
}

Column delta_column() { return {"Δ(%)", "delta_percent", 1}; }

Cell delta_cell(const std::optional<double>& delta) {
    if (!delta) return missing_cell();
    Cell cell = value_cell(*delta, fmt::format("{:+.2f}", *delta));
    cell.csv_decimals = 4;
    return cell;
}

std::string delta_note(const std::string& reference) {
    return fmt::format("Δ(%): the mean over the tasks of each task's relative gain over '{}', (M - M_ref) / M_ref "
                       "with the sign flipped for lower-is-better metrics, in percent (the paper's section 4.1); "
                       "'-' where a task has no runs",
                       reference);
}

}  // namespace sm4
