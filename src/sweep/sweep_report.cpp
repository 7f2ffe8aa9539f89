#include "sweep/sweep_report.h"

#include <fmt/format.h>

#include <map>

#include "core/text.h"
#include "core/text_table.h"

namespace sm4 {
namespace {

bool has_tasks(const std::vector<const SweepRun*>& runs) {
    for (const auto* run : runs)
        if (!run->task.empty()) return true;
    return false;
}

// The columns that say which run a row is: #, variant, task (when any is per task), each axis, seed.
TextRow identity_header(const SweepPlan& plan, bool tasks) {
    TextRow header{"#", "variant"};
    if (tasks) header.push_back("task");
    header.insert(header.end(), plan.axes.begin(), plan.axes.end());
    header.push_back("seed");
    return header;
}

TextRow identity_row(const SweepPlan& plan, const SweepRun& run, bool tasks) {
    TextRow row{std::to_string(run.index), run.variant};
    if (tasks) row.push_back(run.task.empty() ? "-" : run.task);
    for (std::size_t a = 0; a < plan.axes.size(); ++a) row.push_back(run.grid[a].substr(plan.axes[a].size() + 1));
    row.push_back(std::to_string(run.seed));
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

std::string format_dry_run(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                           const std::vector<PriorRun>& prior) {
    const bool tasks = has_tasks(runs);
    TextRow header = identity_header(plan, tasks);
    header.insert(header.end(), {"config_hash", "state"});
    std::vector<TextRow> rows;
    std::vector<std::string> states;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        rows.push_back(identity_row(plan, *runs[i], tasks));
        rows.back().insert(rows.back().end(), {runs[i]->config_hash, prior_state(prior[i])});
        states.push_back(prior[i].state == PriorState::Done ? "done" :
                         prior[i].state == PriorState::Resume ? "to resume" : "to start");
    }
    return format_table(header, rows) +
           fmt::format("sweep {}: {} of {} runs: {}\n", plan.name, runs.size(), plan.runs.size(), count_each(states));
}

std::string describe_outcome(const SweepOutcome& o) {
    std::string text;
    if (o.status == "skipped") text = fmt::format("skipped, completed earlier as run {}", o.run_id);
    else if (o.status == "completed") text = fmt::format("done in {:.0f} s, run {}", o.seconds, o.run_id);
    else text = fmt::format("{} after {:.0f} s", o.status, o.seconds) + (o.run_id > 0 ? fmt::format(", run {}", o.run_id) : "");
    if (o.val_score) text += fmt::format(", val score {:.4f}", *o.val_score);
    if (!o.message.empty()) text += ": " + o.message;
    return text;
}

std::string format_sweep_summary(const SweepPlan& plan, const std::vector<const SweepRun*>& runs,
                                 const std::vector<SweepOutcome>& outcomes) {
    const bool tasks = has_tasks(runs);
    TextRow header = identity_header(plan, tasks);
    header.insert(header.end(), {"run", "status", "seconds", "val score"});
    std::vector<TextRow> rows;
    std::vector<std::string> statuses;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const SweepOutcome& o = outcomes[i];
        rows.push_back(identity_row(plan, *runs[i], tasks));
        rows.back().insert(rows.back().end(),
                           {o.run_id > 0 ? std::to_string(o.run_id) : "-", o.status, o.status == "skipped" || o.status == "not run" ? "-" : fmt::format("{:.0f}", o.seconds),
                            o.val_score ? fmt::format("{:.4f}", *o.val_score) : "-"});
        statuses.push_back(o.status);
    }
    return format_table(header, rows) + fmt::format("sweep {}: {}\n", plan.name, count_each(statuses));
}

}  // namespace sm4
