#include "report/report_scores.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/text.h"
#include "io/run_summary.h"
#include "report/delta_percent.h"

namespace sm4 {
namespace {

// Headline metric of a task: accuracy for classification, mse for regression.
constexpr const char* kMetricPriority[] = {"accuracy", "mse", "micro_f1", "auroc", "macro_f1", "mae"};

}  // namespace

Cell stat_cell(const std::vector<double>& values) {
    if (values.empty()) return missing_cell();
    Statistic stat;
    stat.n = static_cast<int>(values.size());
    double sum = 0.0;
    for (double v : values) sum += v;
    stat.mean = sum / stat.n;
    double squares = 0.0;
    for (double v : values) squares += (v - stat.mean) * (v - stat.mean);
    stat.std = stat.n > 1 ? std::sqrt(squares / (stat.n - 1)) : 0.0;  // sample std, ddof = 1
    Cell cell;
    cell.stat = stat;
    return cell;
}

namespace {

std::vector<Column> score_columns(const ScoreSet& scores, const std::string& first) {
    std::vector<Column> columns = {{first}, {"seeds"}};
    for (const auto& task : scores.tasks) {
        const std::string& metric = scores.metric.at(task);
        columns.push_back({task + " " + metric, "", metric_direction(metric)});
    }
    return columns;
}

std::vector<Cell> score_row(const ScoreSet& scores, const MethodScores& m) {
    const auto seeds = static_cast<std::int64_t>(m.seeds.size());
    std::vector<Cell> row = {text_cell(m.method), value_cell(seeds, std::to_string(seeds))};
    for (const auto& task : scores.tasks) {
        const auto found = m.values.find(task);
        row.push_back(stat_cell(found == m.values.end() ? std::vector<double>{} : found->second));
    }
    return row;
}

// Marks the best mean of every score column, compared as printed (ties all marked).
void mark_best(Table& table) {
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const int direction = table.columns[c].direction;
        if (direction == 0) continue;
        const auto shown = [&](const Cell& cell) { return std::round(cell.stat->mean * std::pow(10.0, table.digits)); };
        double best = 0.0;
        bool any = false;
        for (const auto& row : table.rows)
            if (row[c].stat && (!any || shown(row[c]) * direction > best * direction)) best = shown(row[c]), any = true;
        for (auto& row : table.rows) row[c].best = row[c].stat && shown(row[c]) == best;
    }
}

void require_known(const std::vector<std::string>& names, const ScoreSet& scores, const char* option) {
    std::vector<std::string> known;
    for (const auto& m : scores.methods) known.push_back(m.method);
    for (const auto& name : names)
        if (!scores.find(name))
            throw UsageError(fmt::format("{}: method '{}' is not among the selected runs{}; methods: {}", option, name,
                                         did_you_mean(name, known), join(known, ", ")));
}

const std::string kStdNote = "mean ± sample std (ddof = 1) over the seeds of each method's completed runs; "
                             "final test metrics of the best validation checkpoint; best per column in bold";

}  // namespace

const MethodScores* ScoreSet::find(const std::string& method) const {
    for (const auto& m : methods)
        if (m.method == method) return &m;
    return nullptr;
}

int metric_direction(const std::string& metric) {
    return metric == "mse" || metric == "mae" || metric == "loss" ? -1 : 1;
}

std::string headline_metric(const std::vector<std::string>& logged) {
    for (const char* metric : kMetricPriority)
        if (std::find(logged.begin(), logged.end(), metric) != logged.end()) return metric;
    return logged.empty() ? "" : logged.front();
}

namespace {

// Tasks as the runs' configs list them (data.tasks, first run first); tasks no config names keep
// their logged order after them.
void order_tasks(std::vector<std::string>& tasks, const std::vector<ReportRun>& runs) {
    std::vector<std::string> order;
    for (const auto& r : runs)
        for (const auto& task : r.tasks)
            if (std::find(order.begin(), order.end(), task) == order.end()) order.push_back(task);
    const auto rank = [&](const std::string& task) { return std::find(order.begin(), order.end(), task) - order.begin(); };
    std::stable_sort(tasks.begin(), tasks.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
}

}  // namespace

ScoreSet collect_scores(const ResultsDb& db, const std::vector<ReportRun>& runs) {
    ScoreSet scores;
    std::map<std::string, std::vector<std::string>> logged;  // task -> metric names, in logged order
    std::vector<std::vector<MetricRecord>> per_run;
    for (const auto& r : runs) {
        per_run.push_back(latest_metrics(db.metrics(r.run.id, "test", "train")));
        for (const auto& m : per_run.back()) {
            if (m.task == "all") continue;
            if (std::find(scores.tasks.begin(), scores.tasks.end(), m.task) == scores.tasks.end()) scores.tasks.push_back(m.task);
            auto& names = logged[m.task];
            if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
        }
    }
    order_tasks(scores.tasks, runs);
    for (const auto& task : scores.tasks) {
        scores.metric[task] = headline_metric(logged[task]);
        auto& metrics = scores.metrics[task];
        metrics.push_back(scores.metric[task]);
        for (const auto& name : logged[task])
            if (name != scores.metric[task]) metrics.push_back(name);
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!scores.find(runs[i].method)) scores.methods.push_back({runs[i].method, {}, {}, {}});
        auto& method = *std::find_if(scores.methods.begin(), scores.methods.end(),
                                     [&](const MethodScores& m) { return m.method == runs[i].method; });
        method.seeds.insert(runs[i].run.seed);
        for (const auto& m : per_run[i]) {
            if (m.task == "all") continue;
            if (m.name == scores.metric[m.task]) method.values[m.task].push_back(m.value);
            method.all[m.task][m.name].push_back(m.value);
        }
    }
    return scores;
}

MethodSplit split_methods(const ScoreSet& scores, const ReportOptions& options) {
    MethodSplit split;
    require_known(options.main_methods, scores, "--main");
    require_known(options.ablation_methods, scores, "--ablation");
    if (options.reference_required) require_known({options.reference}, scores, "--reference");
    if (scores.find(options.reference)) split.delta_reference = options.reference;
    const std::string& reference = options.ablation_reference;
    std::vector<std::string> ablations = options.ablation_methods;
    if (ablations.empty())
        for (const auto& m : scores.methods)
            if (m.method.rfind(reference + "-no-", 0) == 0) ablations.push_back(m.method);
    if (!scores.find(reference)) {
        split.note = fmt::format("no ablation table: the reference method '{}' is not among the selected runs "
                                 "(choose one with --ablation-reference)", reference);
    } else {
        split.ablation.push_back(reference);
        for (const auto& a : ablations)
            if (a != reference) split.ablation.push_back(a);
        if (split.ablation.size() == 1) split.note = fmt::format("no ablation table: no method named '{}-no-*' "
                                                                 "(name them with --ablation)", reference);
    }
    split.main = options.main_methods;
    if (split.main.empty())
        for (const auto& m : scores.methods)
            if (m.method == reference || std::find(ablations.begin(), ablations.end(), m.method) == ablations.end())
                split.main.push_back(m.method);
    return split;
}

namespace {

// Appends the Delta(%) column against split.delta_reference (nothing when it is empty).
void add_delta_column(Table& table, const ScoreSet& scores, const MethodSplit& split) {
    if (split.delta_reference.empty()) return;
    const MethodScores& reference = *scores.find(split.delta_reference);
    table.columns.push_back(delta_column());
    for (auto& row : table.rows) {
        const MethodScores& method = *scores.find(std::get<std::string>(row.front().value));
        row.resize(table.columns.size() - 1);
        row.push_back(delta_cell(method_delta_percent(scores, method, reference)));
    }
    table.notes.push_back(delta_note(split.delta_reference) + ".");
}

}  // namespace

Table main_table(const ScoreSet& scores, const MethodSplit& split, int digits) {
    Table table;
    table.title = "Test results";
    table.digits = digits;
    table.columns = score_columns(scores, "method");
    for (const auto& name : split.main) table.rows.push_back(score_row(scores, *scores.find(name)));
    mark_best(table);
    table.notes.push_back(kStdNote + ".");
    add_delta_column(table, scores, split);
    return table;
}

Table ablation_table(const ScoreSet& scores, const MethodSplit& split, int digits) {
    Table table;
    table.title = "Ablation";
    table.digits = digits;
    table.columns = score_columns(scores, "variant");
    if (split.ablation.size() < 2) {
        table.notes.push_back(split.note);
        return table;
    }
    const std::vector<Cell> reference = score_row(scores, *scores.find(split.ablation.front()));
    for (const auto& name : split.ablation) {
        std::vector<Cell> row = score_row(scores, *scores.find(name));
        for (std::size_t c = 2; name != split.ablation.front() && c < row.size(); ++c)
            if (row[c].stat && reference[c].stat) row[c].stat->delta = row[c].stat->mean - reference[c].stat->mean;
        table.rows.push_back(std::move(row));
    }
    mark_best(table);
    table.notes.push_back(fmt::format("{}; in brackets: the difference from '{}'.", kStdNote, split.ablation.front()));
    add_delta_column(table, scores, split);
    return table;
}

}  // namespace sm4
