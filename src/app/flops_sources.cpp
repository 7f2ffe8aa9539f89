#include "app/flops_sources.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "app/flops_job.h"
#include "core/config_loader.h"
#include "core/text.h"
#include "model/flops/flop_count.h"

namespace sm4 {
namespace {

constexpr const char* kLabel = "configured";

void add_rows(std::vector<FlopsSourceRow>& out, const std::string& model, const ModelConfig& config,
              const std::vector<TaskSpec>& specs) {
    const auto rows = analytic_flops(config, specs, 1, kLabel);
    const double params = static_cast<double>(model_params(rows, kLabel).value_or(0));
    for (const auto& spec : specs)
        out.push_back({spec.name, model, params, flops_totals(rows, kLabel, spec.name).flops});
}

// The group of the published tables whose Table 2 tasks are `tasks`; empty when none is.
std::string group_of(const PublishedResults& published, const std::vector<std::string>& tasks) {
    std::vector<std::string> sorted = tasks;
    std::sort(sorted.begin(), sorted.end());
    for (auto [group, columns] : published.groups()) {
        std::sort(columns.begin(), columns.end());
        if (columns == sorted) return group;
    }
    return "";
}

// SM4's FLOPs as a share of HighMMT's in Table 9, in percent.
std::optional<double> paper_share(const PublishedResults& published, const std::string& group,
                                      const std::string& task) {
    for (const PublishedTable* table : published.tables_of(group, "gflops")) {
        const auto column = std::find(table->columns.begin(), table->columns.end(), task) - table->columns.begin();
        const PublishedRow *sm4 = table->find("sm4"), *highmmt = table->find("highmmt");
        if (!sm4 || !highmmt || column >= static_cast<long>(table->columns.size())) continue;
        const auto& a = sm4->values[static_cast<std::size_t>(column)];
        const auto& b = highmmt->values[static_cast<std::size_t>(column)];
        if (a && b && *b > 0) return 100.0 * *a / *b;
    }
    return std::nullopt;
}

// "12.34%"; NaN (no value) as missing.
Cell percent_cell(double value) {
    if (std::isnan(value)) return missing_cell();
    Cell cell = value_cell(value, fmt::format("{:.2f}%", value));
    cell.csv_decimals = 2;
    return cell;
}

Cell metric_cell(const ScoreSet* scores, const std::string& method, const std::string& task) {
    if (!scores || method.empty()) return missing_cell();
    const MethodScores* m = scores->find(method);
    if (!m) return missing_cell();
    const auto found = m->values.find(task);
    if (found == m->values.end() || found->second.empty()) return missing_cell();
    const double mean = std::accumulate(found->second.begin(), found->second.end(), 0.0) / found->second.size();
    Cell cell = value_cell(mean, fmt::format("{:.4f} ({})", mean, scores->metric.at(task)));
    cell.csv_decimals = 6;
    return cell;
}

}  // namespace

std::vector<FlopsSourceRow> flops_sources(const std::filesystem::path& experiment) {
    const ResolvedConfig sm4 = load_config({experiment}, {});
    const ResolvedConfig highmmt = load_config({experiment}, {}, "highmmt");
    const std::vector<TaskSpec> specs = header_specs(sm4.values);
    ModelConfig highmmt_cut = highmmt.values.model;
    highmmt_cut.token_rules = sm4.values.model.token_rules;
    ModelConfig dense_experts = sm4.values.model;
    dense_experts.modality_top_k = {dense_experts.num_experts};
    std::vector<FlopsSourceRow> rows, out;
    add_rows(rows, "highmmt", highmmt.values.model, specs);
    add_rows(rows, "highmmt-sm4-tokens", highmmt_cut, specs);
    add_rows(rows, "sm4-dense", dense_experts, specs);
    add_rows(rows, "sm4", sm4.values.model, specs);
    for (const auto& spec : specs)  // task by task
        for (const auto& row : rows)
            if (row.task == spec.name) out.push_back(row);
    return out;
}

std::string flops_source_method(const std::string& model) { return model == "sm4-dense" ? "" : model; }

Table flops_sources_table(const std::vector<std::pair<std::string, std::vector<FlopsSourceRow>>>& experiments,
                          const PublishedResults* published, const ScoreSet* scores) {
    Table table;
    table.title = "Where SM4's FLOPs reduction comes from: tokenisation, network, sparsity";
    table.columns = {{"experiment", "", 0, true}, {"task", "", 0, true}, {"model", "", 0, true}, {"params"},
                     {"FLOPs / sample"},          {"of HighMMT's"},     {"change from above"},    {"paper: of HighMMT's"},
                     {"test metric"}};
    for (const auto& [experiment, rows] : experiments) {
        std::vector<std::string> tasks;
        for (const auto& row : rows)
            if (std::find(tasks.begin(), tasks.end(), row.task) == tasks.end()) tasks.push_back(row.task);
        const std::string group = published ? group_of(*published, tasks) : "";
        double highmmt = 0, above = 0;
        for (const auto& row : rows) {
            if (row.model == "highmmt") highmmt = above = row.flops;
            const double none = std::numeric_limits<double>::quiet_NaN();
            const double share = highmmt > 0 ? 100.0 * row.flops / highmmt : none;
            const double change = row.model != "highmmt" && above > 0 ? 100.0 * (row.flops / above - 1.0) : none;
            const bool last = row.model == "sm4";
            const double paper = last && !group.empty() ? paper_share(*published, group, row.task).value_or(none) : none;
            table.add_row({text_cell(experiment), text_cell(row.task), text_cell(row.model), count_cell(row.params),
                           count_cell(row.flops), percent_cell(share), percent_cell(change),
                           percent_cell(paper),
                           metric_cell(scores, flops_source_method(row.model), row.task)});
            above = row.flops;
        }
    }
    table.notes.push_back(
        "Analytic FLOPs per sample (a multiply-add is 2; docs/flops.md, docs/highmmt.md); params: the whole model's. "
        "highmmt -> highmmt-sm4-tokens is the tokenisation (SM4's patch cuts instead of HighMMT's pixel and element "
        "tokens), -> sm4-dense the network (SM4's encoder, layers and heads, every expert active: k = E), -> sm4 "
        "the sparsity (k of E experts). paper: of HighMMT's: Table 9's SM4 FLOPs as a share of its HighMMT's (its "
        "absolute counts differ from HighMMT's code: compare the ratios). test metric: the runs' mean where the "
        "database holds the method (sm4-dense is never trained).");
    return table;
}

}  // namespace sm4
