#include "io/run_summary.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "core/errors.h"
#include "core/text_table.h"

namespace sm4 {

void require_existing_database(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw IoError(fmt::format("{}: no results database here (the first training run creates it)",
                                  path.string()));
}

std::vector<MetricRecord> latest_metrics(const std::vector<MetricRecord>& metrics) {
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> slot_of;
    std::vector<MetricRecord> latest;
    for (const auto& m : metrics) {
        const auto [it, added] = slot_of.try_emplace({m.split, m.task, m.name}, latest.size());
        if (added) latest.push_back(m);
        else latest[it->second] = m;
    }
    return latest;
}

std::string format_run_list(const std::vector<RunRecord>& runs) {
    std::vector<TextRow> rows;
    for (const auto& r : runs)
        rows.push_back({std::to_string(r.id), r.name, r.status, r.created_at, r.finished_at, std::to_string(r.seed)});
    return format_table({"id", "name", "status", "created_at", "finished_at", "seed"}, rows);
}

std::string format_run_details(const ResultsDb& db, std::int64_t run_id) {
    const auto run = db.find_run(run_id);
    if (!run) throw UsageError(fmt::format("run {} not found in {}", run_id, db.path().string()));

    const std::vector<TextRow> fields = {
        {"id", std::to_string(run->id)},    {"name", run->name},
        {"experiment", run->experiment},    {"status", run->status},
        {"created_at", run->created_at},    {"finished_at", run->finished_at},
        {"seed", std::to_string(run->seed)}, {"git_revision", run->git_revision},
        {"build_info", run->build_info},    {"host", run->host},
        {"message", run->message},
    };
    std::string out = format_table({"field", "value"}, fields);

    std::vector<TextRow> checkpoint_rows;
    for (const auto& c : db.checkpoints(run_id))
        checkpoint_rows.push_back({std::to_string(c.epoch), std::to_string(c.step), fmt::format("{}", c.val_score),
                                   c.is_best ? "yes" : "", c.created_at, c.path});
    out += "\ncheckpoints\n";
    out += checkpoint_rows.empty()
               ? "(none)\n"
               : format_table({"epoch", "step", "val_score", "best", "created_at", "path"}, checkpoint_rows);

    std::vector<TextRow> metric_rows;
    for (const auto& m : latest_metrics(db.metrics(run_id)))
        metric_rows.push_back({m.split, m.task, m.name, fmt::format("{}", m.value), std::to_string(m.epoch),
                               std::to_string(m.step), m.source});
    out += "\nlatest metrics\n";
    out += metric_rows.empty()
               ? "(none)\n"
               : format_table({"split", "task", "name", "value", "epoch", "step", "source"}, metric_rows);

    out += "\nconfig\n" + run->config_toml;
    if (!run->config_toml.empty() && run->config_toml.back() != '\n') out += '\n';
    return out;
}

std::string format_query_result(const QueryResult& result, bool csv) {
    if (result.columns.empty()) return "";
    return csv ? format_csv(result.columns, result.rows) : format_table(result.columns, result.rows);
}

}  // namespace sm4
