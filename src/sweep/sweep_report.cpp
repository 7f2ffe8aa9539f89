#include "sweep/sweep_report.h"

#include <fmt/format.h>

#include <map>

#include "core/text.h"

namespace sm4 {
namespace {

bool has_tasks(const std::vector<const SweepRun*>& runs) {
    for (const auto* run : runs)
        if (!run->task.empty()) return true;
    return false;
}

// The columns that say which run a row is: #, variant, task (when any is per task), each axis, seed.
std::vector<Column> identity_columns(const SweepPlan& plan, bool tasks) {
    std::vector<Column> columns{{"#", "index"}, {"variant"}};
    if (tasks) columns.push_back({"task"});
    for (const auto& axis : plan.axes) columns.push_back({axis, axis});
    columns.push_back({"seed"});
    return columns;
}

std::vector<Cell> identity_row(const SweepPlan& plan, const SweepRun& run, bool tasks) {
    std::vector<Cell> row{value_cell(static_cast<std::int64_t>(run.index)), text_cell(run.variant)};
    if (tasks) row.push_back(run.task.empty() ? missing_cell() : text_cell(run.task));
    for (std::size_t a = 0; a < plan.axes.size(); ++a) row.push_back(text_cell(run.grid[a].substr(plan.axes[a].size() + 1)));
    row.push_back(value_cell(run.seed));
    return row;
}

std::string prior_state(const PriorRun& prior) {
    switch (prior.state) {
        case PriorState::Done: return fmt::format("done (run {})", prior.run_id);
        case PriorState::Resume: return fmt::format("resume run {}", prior.run_id);
        case PriorState::New: break;
    }
    return "new";
}

// "3 completed, 1 failed" in the order the statuses first appear.
std::string count_each(const std::vector<std::string>& statuses) {
    std::vector<std::string> order;
    std::map<std::string, int> counts;
    for (const auto& status : statuses)
        if (counts[status]++ == 0) order.push_back(status);
    std::vector<std::string> parts;
    for (const auto& status : order) parts.push_back(fmt::format("{} {}", counts[status], status));
    return join(parts, ", ");
}

}  // namespace

Table dry_run_table(const SweepPlan& plan, const std::vector<const SweepRun*>& runs, const std::vector<PriorRun>& prior) {
    Table table;
    table.columns = identity_columns(plan, has_tasks(runs));
    table.columns.insert(table.columns.end(), {{"config_hash"}, {"state"}});
    for (std::size_t i = 0; i < runs.size(); ++i) {
        auto row = identity_row(plan, *runs[i], has_tasks(runs));
        row.push_back(text_cell(runs[i]->config_hash));
        row.push_back(text_cell(prior_state(prior[i])));
        table.add_row(std::move(row));
    }
    return table;
}

std::string dry_run_summary(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                            const std::vector<PriorRun>& prior) {
    std::vector<std::string> states;
    for (const auto& p : prior)
        states.push_back(p.state == PriorState::Done ? "done" : p.state == PriorState::Resume ? "to resume" : "to start");
    return fmt::format("sweep {}: {} of {} runs: {}", plan.name, runs.size(), plan.runs.size(), count_each(states));
}

std::string describe_outcome(const SweepOutcome& o) {
    std::string text;
    if (o.status == SweepStatus::Skipped) text = fmt::format("skipped, completed earlier as run {}", o.run_id);
    else if (o.status == SweepStatus::Completed) text = fmt::format("done in {:.0f} s, run {}", o.seconds, o.run_id);
    else text = fmt::format("{} after {:.0f} s", to_string(o.status), o.seconds) + (o.run_id > 0 ? fmt::format(", run {}", o.run_id) : "");
    if (o.val_score) text += fmt::format(", val score {:.4f}", *o.val_score);
    if (!o.message.empty()) text += ": " + o.message;
    return text;
}

Table sweep_summary_table(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                          const std::vector<SweepOutcome>& outcomes) {
    Table table;
    table.columns = identity_columns(plan, has_tasks(runs));
    table.columns.insert(table.columns.end(), {{"run", "run_id"}, {"status"}, {"seconds"}, {"val score", "val_score"}});
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const SweepOutcome& o = outcomes[i];
        auto row = identity_row(plan, *runs[i], has_tasks(runs));
        row.push_back(o.run_id > 0 ? value_cell(o.run_id) : missing_cell());
        row.push_back(text_cell(to_string(o.status)));
        const bool ran = o.status != SweepStatus::Skipped && o.status != SweepStatus::NotRun;
        row.push_back(ran ? number_cell(o.seconds, 0) : missing_cell());
        row.push_back(o.val_score ? number_cell(*o.val_score, 4) : missing_cell());
        table.add_row(std::move(row));
    }
    return table;
}

std::string sweep_summary_line(const SweepPlan& plan, const std::vector<SweepOutcome>& outcomes) {
    std::vector<std::string> statuses;
    for (const auto& o : outcomes) statuses.push_back(to_string(o.status));
    return fmt::format("sweep {}: {}", plan.name, count_each(statuses));
}

}  // namespace sm4
