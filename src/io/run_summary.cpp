#include "io/run_summary.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <tuple>

#include "core/errors.h"
#include "core/progress.h"
#include "core/text.h"
#include "io/stored_config.h"

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

std::string metric_text(double value) { return fmt::format("{:.4g}", value); }

std::optional<double> seconds_between(const std::string& from, const std::string& to) {
    auto parse = [](const std::string& stamp) -> std::optional<std::time_t> {
        std::tm tm{};
        const char* end = strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (end == nullptr || *end != '\0') return std::nullopt;
        return timegm(&tm);
    };
    const auto a = parse(from), b = parse(to);
    if (!a || !b) return std::nullopt;
    return std::difftime(*b, *a);
}

namespace {

bool matches(const RunRecord& run, const RunFilter& filter) {
    if (!filter.sweep.empty() && run.sweep != filter.sweep) return false;
    if (!filter.status.empty() && run.status != filter.status) return false;
    if (!filter.name.empty() && fnmatch(filter.name.c_str(), run.name.c_str(), 0) != 0) return false;
    return true;
}

std::vector<std::string> stored_tasks(const RunRecord& run) {
    try {
        return stored_config(run).values.data.tasks;
    } catch (const Error&) {
        return {};  // a config this sm4 no longer reads: the list still shows the run
    }
}

}  // namespace

std::vector<RunOverview> run_overviews(const ResultsDb& db, const RunFilter& filter) {
    static const std::vector<std::string> statuses{kRunRunning, kRunCompleted, kRunFailed, kRunInterrupted};
    if (!filter.status.empty() && std::find(statuses.begin(), statuses.end(), filter.status) == statuses.end())
        throw UsageError(fmt::format("--status: expected one of {}, found \"{}\"", join(statuses, ", "), filter.status));
    std::vector<RunOverview> out;
    for (auto& run : db.list_runs()) {
        if (!matches(run, filter)) continue;
        if (filter.limit > 0 && static_cast<std::int64_t>(out.size()) >= filter.limit) break;
        RunOverview o;
        o.tasks = stored_tasks(run);
        if (!run.finished_at.empty()) o.seconds = seconds_between(run.created_at, run.finished_at);
        for (const auto& c : db.checkpoints(run.id))
            if (c.is_best) o.best_val_score = c.val_score;
        o.run = std::move(run);
        out.push_back(std::move(o));
    }
    return out;
}

Table run_list_table(const std::vector<RunOverview>& runs) {
    Table table;
    table.columns = {{"id"},     {"name"},    {"sweep"},    {"variant"}, {"tasks"},
                     {"status"}, {"created"}, {"duration"}, {"best val", "best_val_score"}, {"seed"}};
    for (const auto& o : runs) {
        const RunRecord& r = o.run;
        table.add_row({value_cell(r.id), text_cell(r.name), text_cell(r.sweep), text_cell(r.variant),
                       text_cell(join(o.tasks, ",")), text_cell(r.status), text_cell(r.created_at),
                       o.seconds ? value_cell(*o.seconds, format_duration(*o.seconds)) : missing_cell(),
                       o.best_val_score ? value_cell(*o.best_val_score, metric_text(*o.best_val_score)) : missing_cell(),
                       value_cell(r.seed)});
    }
    return table;
}

Json run_list_json(const std::vector<RunOverview>& runs) {
    Json out = Json::array();
    for (const auto& o : runs) {
        const RunRecord& r = o.run;
        Json tasks = Json::array();
        for (const auto& t : o.tasks) tasks.push(t);
        out.push(Json::object()
                     .set("id", r.id)
                     .set("name", r.name)
                     .set("experiment", r.experiment)
                     .set("sweep", r.sweep)
                     .set("variant", r.variant)
                     .set("config_hash", r.config_hash)
                     .set("tasks", tasks)
                     .set("status", r.status)
                     .set("created_at", r.created_at)
                     .set("finished_at", r.finished_at.empty() ? Json() : Json(r.finished_at))
                     .set("seconds", o.seconds ? Json(*o.seconds) : Json())
                     .set("best_val_score", o.best_val_score ? Json(*o.best_val_score) : Json())
                     .set("seed", r.seed)
                     .set("world_size", r.world_size)
                     .set("folder", r.folder));
    }
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
