#include "report/report_paper.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "core/errors.h"
#include "core/text.h"
#include "report/delta_percent.h"

namespace sm4 {
namespace {

bool is_percent_metric(const std::string& metric) {
    return metric == "accuracy" || metric == "micro_f1" || metric == "macro_f1" || metric == "auroc";
}

Cell stat_of(double mean, double std, int n) {
    Cell cell;
    cell.stat = Statistic{mean, std, n, std::nullopt};
    return cell;
}

// The group whose Table 2 tasks are the runs' tasks.
std::string matching_group(const PublishedResults& published, const std::vector<std::string>& tasks) {
    const std::set<std::string> here(tasks.begin(), tasks.end());
    for (const auto& [group, columns] : published.groups())
        if (std::set<std::string>(columns.begin(), columns.end()) == here) return group;
    return "";
}

struct Builder {
    const ScoreSet& scores;
    const PublishedTable& paper;
    const std::string& reference;
    std::vector<std::string> columns;  // the paper's tasks, then the runs' other tasks

    // The paper's metric of column c, else the runs' headline metric of that task.
    std::string metric_of(std::size_t c) const {
        if (c < paper.columns.size()) return paper.metrics[c];
        return scores.metric.at(columns[c]);
    }

    // Mean and std of `method` on `task` in the paper's units; n = 0 without runs or when the
    // runs' metric is another than the paper's.
    Statistic here(const MethodScores* method, std::size_t c) const {
        const std::string& task = columns[c];
        if (!method) return {};
        const auto found = method->values.find(task);
        if (found == method->values.end() || found->second.empty()) return {};
        if (scores.metric.at(task) != metric_of(c)) return {};
        const Statistic stat = *stat_cell(found->second).stat;
        const double scale = is_percent_metric(metric_of(c)) ? 100.0 : 1.0;
        return Statistic{stat.mean * scale, stat.std * scale, stat.n, std::nullopt};
    }

    Table make(int digits) const {
        Table table;
        table.title = fmt::format("Table {} ({} group): {}; the paper beside this toolkit", paper.number, paper.group,
                                  paper.caption);
        table.digits = digits;
        table.columns = {{"method", "", 0, true}, {"source"}};
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const std::string metric = metric_of(c);
            Column column{columns[c] + " " + metric + (is_percent_metric(metric) ? " %" : ""), "",
                          metric == "mse" || metric == "mae" ? -1 : 1};
            column.digits = metric == "mse" || metric == "mae" ? 3 : 2;
            table.columns.push_back(column);
        }
        table.columns.push_back(delta_column());
        const MethodScores* ref = scores.find(reference);
        for (const auto& row : paper.rows) {
            const MethodScores* method = scores.find(row.method);
            if (!method && row.method != reference && row.method != "sm4") continue;
            std::vector<Cell> cells{text_cell(row.method), text_cell("paper: " + row.name)};
            for (std::size_t c = 0; c < columns.size(); ++c)
                cells.push_back(c < row.values.size() && row.values[c] ? stat_of(*row.values[c], 0.0, 1) : missing_cell());
            cells.push_back(delta_cell(row.delta));
            table.add_row(std::move(cells));
            const int seeds = method ? static_cast<int>(method->seeds.size()) : 0;
            std::vector<Cell> measured{text_cell(row.method), text_cell(fmt::format("here: {} seed{}", seeds, seeds == 1 ? "" : "s"))};
            std::vector<Cell> gap{text_cell(row.method), text_cell("gap (σ)")};
            bool any_gap = false;
            for (std::size_t c = 0; c < columns.size(); ++c) {
                const Statistic stat = here(method, c);
                measured.push_back(stat.n > 0 ? stat_of(stat.mean, stat.std, stat.n) : missing_cell());
                const bool has_paper = c < row.values.size() && row.values[c];
                if (has_paper && stat.n >= kGapSeeds && stat.std > 0) {
                    gap.push_back(stat_of((stat.mean - *row.values[c]) / stat.std, 0.0, 1));
                    any_gap = true;
                } else {
                    gap.push_back(missing_cell());
                }
            }
            measured.push_back(delta_cell(method && ref ? method_delta_percent(scores, *method, *ref) : std::nullopt));
            gap.push_back(missing_cell());
            table.add_row(std::move(measured));
            if (any_gap) table.add_row(std::move(gap));
        }
        table.notes.push_back(fmt::format(
            "paper: Table {} as printed (accuracy in %, PUSH as MSE); here: mean ± sample std over the seeds of this "
            "database's completed runs, accuracy times 100; gap (σ): (here - paper) / here's std, shown where a method "
            "has {} or more seeds; '-': a task or method one side did not run.",
            paper.number, kGapSeeds));
        table.notes.push_back(delta_note(reference) + "; the paper's Δ(%) is against its HighMMT runs.");
        return table;
    }
};

// Table 2 when one of its methods has runs; another when one of its methods with runs (besides the reference and sm4) is in
// no table shown before it (`covered`), which then covers its methods.
bool worth_showing(const PublishedTable& paper, const ScoreSet& scores, const std::string& reference,
                   std::set<std::string>& covered) {
    bool show = paper.number == 2 && std::any_of(paper.rows.begin(), paper.rows.end(),
                                                 [&](const PublishedRow& row) { return scores.find(row.method); });
    for (const auto& row : paper.rows)
        if (row.method != reference && row.method != "sm4" && scores.find(row.method) && !covered.count(row.method))
            show = true;
    if (show)
        for (const auto& row : paper.rows) covered.insert(row.method);
    return show;
}

}  // namespace

PaperComparison paper_comparison(const ScoreSet& scores, const PublishedResults& published, const std::string& group,
                                 const std::string& reference, int digits) {
    PaperComparison out;
    std::vector<std::string> groups;
    for (const auto& [name, tasks] : published.groups()) groups.push_back(name);
    if (!group.empty()) {
        if (std::find(groups.begin(), groups.end(), group) == groups.end())
            throw UsageError(fmt::format("--paper-group: '{}' is not a task group of {}{}; groups: {}", group,
                                         published.path.string(), did_you_mean(group, groups), join(groups, ", ")));
        out.group = group;
    } else {
        out.group = matching_group(published, scores.tasks);
        if (out.group.empty()) {
            out.group = "medium";
            out.notes.push_back(fmt::format(
                "--paper: the runs' tasks ({}) are none of the paper's task groups; its numbers are those of the "
                "medium group (the group of its ablations); compare the Δ(%) columns (choose with --paper-group)",
                join(scores.tasks, ", ")));
        }
    }
    std::vector<std::string> left_out;
    std::set<std::string> covered;
    for (const PublishedTable* paper : published.tables_of(out.group, "scores")) {
        if (!worth_showing(*paper, scores, reference, covered)) {
            left_out.push_back(std::to_string(paper->number));
            continue;
        }
        Builder builder{scores, *paper, reference, paper->columns};
        for (const auto& task : scores.tasks)
            if (std::find(builder.columns.begin(), builder.columns.end(), task) == builder.columns.end())
                builder.columns.push_back(task);
        out.tables.push_back(builder.make(digits));
    }
    if (out.tables.empty()) {
        std::vector<std::string> methods;
        for (const auto& m : scores.methods) methods.push_back(m.method);
        out.notes.push_back(fmt::format("--paper: none of the runs' methods ({}) is in the paper's tables of the {} "
                                        "group: no published numbers to show",
                                        join(methods, ", "), out.group));
        return out;
    }
    if (!left_out.empty())
        out.notes.push_back(fmt::format("--paper: Tables {} of the {} group left out: none of their methods with runs "
                                        "here (besides '{}' and 'sm4') is new to the tables above",
                                        join(left_out, ", "), out.group, reference));
    return out;
}

}  // namespace sm4
