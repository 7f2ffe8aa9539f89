#include "io/run_summary.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "core/errors.h"

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

Table run_list_table(const std::vector<RunRecord>& runs) {
    Table table;
    table.columns = {{"id"}, {"name"}, {"status"}, {"created_at"}, {"finished_at"}, {"seed"}};
    for (const auto& r : runs)
        table.add_row({value_cell(r.id), text_cell(r.name), text_cell(r.status), text_cell(r.created_at),
                       text_cell(r.finished_at), value_cell(r.seed)});
    return table;
}

namespace {

std::string section(const std::string& heading, const Table& table) {
    return "\n" + heading + "\n" + (table.rows.empty() ? std::string("(none)\n") : print_table(table, TableFormat::Text));
}

}  // namespace

std::string format_run_details(const ResultsDb& db, std::int64_t run_id) {
    const auto run = db.find_run(run_id);
    if (!run) throw UsageError(fmt::format("run {} not found in {}", run_id, db.path().string()));

    Table fields;
    fields.columns = {{"field"}, {"value"}};
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"id", std::to_string(run->id)},    {"name", run->name},
             {"experiment", run->experiment},    {"status", run->status},
             {"created_at", run->created_at},    {"finished_at", run->finished_at},
             {"seed", std::to_string(run->seed)}, {"git_revision", run->git_revision},
             {"build_info", run->build_info},    {"host", run->host},
             {"message", run->message}})
        fields.add_row({text_cell(name), text_cell(value)});
    std::string out = print_table(fields, TableFormat::Text);

    Table checkpoints;
    checkpoints.columns = {{"epoch"}, {"step"}, {"val_score"}, {"best"}, {"created_at"}, {"path"}};
    for (const auto& c : db.checkpoints(run_id))
        checkpoints.add_row({value_cell(c.epoch), value_cell(c.step), value_cell(c.val_score, fmt::format("{}", c.val_score)),
                             value_cell(c.is_best, c.is_best ? "yes" : ""), text_cell(c.created_at), text_cell(c.path)});
    out += section("checkpoints", checkpoints);

    Table metrics;
    metrics.columns = {{"split"}, {"task"}, {"name"}, {"value"}, {"epoch"}, {"step"}, {"source"}};
    for (const auto& m : latest_metrics(db.metrics(run_id)))
        metrics.add_row({text_cell(m.split), text_cell(m.task), text_cell(m.name), value_cell(m.value, fmt::format("{}", m.value)),
                         value_cell(m.epoch), value_cell(m.step), text_cell(m.source)});
    out += section("latest metrics", metrics);

    out += "\nconfig\n" + run->config_toml;
    if (!run->config_toml.empty() && run->config_toml.back() != '\n') out += '\n';
    return out;
}

Table query_table(const QueryResult& result) {
    Table table;
    for (const auto& name : result.columns) table.columns.push_back({name, name});
    for (const auto& row : result.rows) {
        std::vector<Cell> cells;
        for (const auto& value : row) cells.push_back(value == "NULL" ? value_cell(std::monostate{}, "NULL") : text_cell(value));
        table.add_row(std::move(cells));
    }
    return table;
}

}  // namespace sm4
