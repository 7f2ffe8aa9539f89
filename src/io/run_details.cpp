#include "io/run_details.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/table.h"
#include "core/text.h"
#include "io/run_summary.h"

namespace sm4 {
namespace {

RunRecord require_run(const ResultsDb& db, std::int64_t run_id) {
    auto run = db.find_run(run_id);
    if (!run) throw UsageError(fmt::format("run {} not found in {}", run_id, db.path().string()));
    return *run;
}

std::vector<MetricRecord> final_metrics(const ResultsDb& db, std::int64_t run_id, const std::string& split) {
    return latest_metrics(db.metrics(run_id, split, "train"));
}

std::string section(const std::string& heading, const Table& table) {
    return "\n" + heading + "\n" + (table.rows.empty() ? std::string("(none)\n") : print_table(table, TableFormat::Text));
}

Cell metric_cell(double value) { return value_cell(value, metric_text(value)); }

// "section.key" -> "value" of a stored config (to_toml's "[section]" and "key = value" lines).
std::vector<std::pair<std::string, std::string>> config_entries(const std::string& toml) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string section;
    for (const auto& line : split(toml, '\n')) {
        if (!line.empty() && line.front() == '[') {
            section = line.substr(1, line.size() - 2);
            continue;
        }
        const auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        std::string value = line.substr(eq + 3);
        // A plain string reads better without its TOML quotes.
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"' &&
            value.find_first_of("\\\"", 1) == value.size() - 1)
            value = value.substr(1, value.size() - 2);
        out.emplace_back(section + "." + line.substr(0, eq), value);
    }
    return out;
}

// A slot's values over the epochs, in epoch order.
struct SlotPath {
    std::vector<std::int64_t> k;
    std::vector<double> weight, val_loss;
    bool frozen = false;
};

std::vector<std::pair<std::string, SlotPath>> paths_by_slot(const std::vector<ModalityEpochRecord>& rows) {
    std::vector<std::pair<std::string, SlotPath>> out;
    for (const auto& r : rows) {
        auto at = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == r.slot; });
        if (at == out.end()) at = out.insert(out.end(), {r.slot, SlotPath{}});
        at->second.k.push_back(r.top_k);
        at->second.weight.push_back(r.pace_weight);
        at->second.val_loss.push_back(r.val_loss);
        at->second.frozen = r.aea_frozen;
    }
    return out;
}

// The k each epoch trained with, as runs: "1 (1-3), 2 (4-5), 1 (6-100)" (epochs in brackets).
std::string k_runs(const std::vector<std::int64_t>& k) {
    std::vector<std::string> parts;
    for (std::size_t first = 0; first < k.size();) {
        std::size_t last = first;
        while (last + 1 < k.size() && k[last + 1] == k[first]) ++last;
        parts.push_back(first == last ? fmt::format("{} ({})", k[first], first + 1)
                                      : fmt::format("{} ({}-{})", k[first], first + 1, last + 1));
        first = last + 1;
    }
    return join(parts, ", ");
}

Table slot_paths(const std::vector<ModalityEpochRecord>& rows) {
    Table t;
    t.columns = {{"slot"}, {"k (epochs)"}, {"frozen"}, {"ALP weight first"}, {"min"}, {"max"}, {"last"}, {"val loss"}};
    for (const auto& [slot, p] : paths_by_slot(rows)) {
        const auto [lo, hi] = std::minmax_element(p.weight.begin(), p.weight.end());
        t.add_row({text_cell(slot), text_cell(k_runs(p.k)), text_cell(p.frozen ? "yes" : "-"), metric_cell(p.weight.front()),
                   metric_cell(*lo), metric_cell(*hi), metric_cell(p.weight.back()), metric_cell(p.val_loss.back())});
    }
    return t;
}

}  // namespace

RunDetails run_details(const ResultsDb& db, std::int64_t run_id) {
    RunDetails d;
    d.run = require_run(db, run_id);
    d.checkpoints = db.checkpoints(run_id);
    for (const auto& a : db.allocations(run_id))
        if (a.chosen) d.allocation.push_back(a);
    d.modality_epochs = db.modality_epochs(run_id);
    d.test = final_metrics(db, run_id, "test");
    d.latest = latest_metrics(db.metrics(run_id));
    return d;
}

std::string format_run_details(const RunDetails& d) {
    const RunRecord& run = d.run;
    Table fields;
    fields.columns = {{"field"}, {"value"}};
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"id", std::to_string(run.id)},     {"name", run.name},
             {"experiment", run.experiment},     {"sweep", run.sweep},
             {"variant", run.variant},           {"config_hash", run.config_hash},
             {"status", run.status},             {"created_at", run.created_at},
             {"finished_at", run.finished_at},   {"seed", std::to_string(run.seed)},
             {"world_size", std::to_string(run.world_size)}, {"folder", run.folder},
             {"design", fmt::format("{}: {}", run.design, design_text(run.design))},
             {"git_revision", run.git_revision}, {"build_info", run.build_info},
             {"host", run.host},                 {"message", run.message}})
        fields.add_row({text_cell(name), text_cell(value)});
    std::string out = print_table(fields, TableFormat::Text);

    Table allocation;
    allocation.columns = {{"group"}, {"experts"}, {"train loss"}, {"val loss"}};
    for (const auto& a : d.allocation)
        allocation.add_row({text_cell(a.modality), value_cell(a.candidate), metric_cell(a.train_loss), metric_cell(a.val_loss)});
    if (!allocation.rows.empty()) out += section("AEA allocation (design-1 probe)", allocation);
    if (!d.modality_epochs.empty()) out += section("modality slots by epoch (AEA, ALP)", slot_paths(d.modality_epochs));

    Table test;
    test.columns = {{"task"}, {"metric"}, {"value"}, {"epoch"}};
    for (const auto& m : d.test) test.add_row({text_cell(m.task), text_cell(m.name), metric_cell(m.value), value_cell(m.epoch)});
    out += section("test metrics (from training)", test);

    Table checkpoints;
    checkpoints.columns = {{"epoch"}, {"step"}, {"val_score"}, {"best"}, {"created_at"}, {"path"}};
    for (const auto& c : d.checkpoints)
        checkpoints.add_row({value_cell(c.epoch), value_cell(c.step), metric_cell(c.val_score),
                             value_cell(c.is_best, c.is_best ? "yes" : ""), text_cell(c.created_at), text_cell(c.path)});
    out += section("checkpoints", checkpoints);

    Table metrics;
    metrics.columns = {{"split"}, {"task"}, {"name"}, {"value"}, {"epoch"}, {"step"}, {"source"}};
    for (const auto& m : d.latest)
        metrics.add_row({text_cell(m.split), text_cell(m.task), text_cell(m.name), metric_cell(m.value),
                         value_cell(m.epoch), value_cell(m.step), text_cell(m.source)});
    out += section("latest metrics", metrics);

    out += "\nconfig\n" + run.config_toml;
    if (!run.config_toml.empty() && run.config_toml.back() != '\n') out += '\n';
    return out;
}

Json run_details_json(const RunDetails& d) {
    const RunRecord& r = d.run;
    Json run = Json::object();
    run.set("id", r.id).set("name", r.name).set("experiment", r.experiment).set("sweep", r.sweep);
    run.set("variant", r.variant).set("config_hash", r.config_hash).set("status", r.status);
    run.set("created_at", r.created_at).set("finished_at", r.finished_at.empty() ? Json() : Json(r.finished_at));
    run.set("seed", r.seed).set("world_size", r.world_size).set("dist_backend", r.dist_backend);
    run.set("folder", r.folder).set("git_revision", r.git_revision).set("build_info", r.build_info);
    run.set("host", r.host).set("message", r.message).set("design", r.design);

    Json checkpoints = Json::array();
    for (const auto& c : d.checkpoints)
        checkpoints.push(Json::object()
                             .set("epoch", c.epoch)
                             .set("step", c.step)
                             .set("val_score", c.val_score)
                             .set("best", c.is_best)
                             .set("created_at", c.created_at)
                             .set("path", c.path));
    Json allocation = Json::object();
    for (const auto& a : d.allocation) allocation.set(a.modality, a.candidate);
    Json slots = Json::object();
    for (const auto& [slot, p] : paths_by_slot(d.modality_epochs)) {
        Json k = Json::array(), weight = Json::array(), loss = Json::array();
        for (auto v : p.k) k.push(v);
        for (auto v : p.weight) weight.push(v);
        for (auto v : p.val_loss) loss.push(std::isfinite(v) ? Json(v) : Json());
        slots.set(slot, Json::object().set("top_k", k).set("pace_weight", weight).set("val_loss", loss).set("frozen", p.frozen));
    }
    std::map<std::string, Json> test_by_task;
    std::vector<std::string> task_order;
    for (const auto& m : d.test) {
        if (!test_by_task.count(m.task)) {
            task_order.push_back(m.task);
            test_by_task[m.task] = Json::object();
        }
        test_by_task[m.task].set(m.name, m.value);
    }
    Json test = Json::object();
    for (const auto& t : task_order) test.set(t, test_by_task[t]);
    Json latest = Json::array();
    for (const auto& m : d.latest)
        latest.push(Json::object()
                        .set("split", m.split)
                        .set("task", m.task)
                        .set("name", m.name)
                        .set("value", m.value)
                        .set("epoch", m.epoch)
                        .set("step", m.step)
                        .set("source", m.source));
    return Json::object()
        .set("run", run)
        .set("checkpoints", checkpoints)
        .set("allocation", allocation)
        .set("modality_epochs", slots)
        .set("test", test)
        .set("latest", latest)
        .set("config", r.config_toml);
}

RunDiff diff_runs(const ResultsDb& db, std::int64_t a, std::int64_t b) {
    RunDiff diff;
    diff.a = require_run(db, a);
    diff.b = require_run(db, b);
    const auto ea = config_entries(diff.a.config_toml), eb = config_entries(diff.b.config_toml);
    const std::map<std::string, std::string> in_b(eb.begin(), eb.end());
    std::set<std::string> seen;
    for (const auto& [key, value] : ea) {
        seen.insert(key);
        const auto it = in_b.find(key);
        const std::string other = it == in_b.end() ? "" : it->second;
        if (other != value) diff.config.push_back({key, value, other});
    }
    for (const auto& [key, value] : eb)
        if (!seen.count(key)) diff.config.push_back({key, "", value});

    for (const std::string split : {"test", "val"}) {
        const auto ma = final_metrics(db, a, split), mb = final_metrics(db, b, split);
        std::map<std::pair<std::string, std::string>, std::size_t> slot;
        auto row = [&](const MetricRecord& m) -> MetricPair& {
            const auto [it, added] = slot.try_emplace({m.task, m.name}, diff.metrics.size());
            if (added) diff.metrics.push_back({split, m.task, m.name, std::nullopt, std::nullopt});
            return diff.metrics[it->second];
        };
        for (const auto& m : ma) row(m).a = m.value;
        for (const auto& m : mb) row(m).b = m.value;
    }
    return diff;
}

std::string format_run_diff(const RunDiff& diff) {
    const std::string a = fmt::format("run {}", diff.a.id), b = fmt::format("run {}", diff.b.id);
    Table config;
    config.columns = {{"key"}, {a}, {b}};
    for (const auto& d : diff.config) config.add_row({text_cell(d.key), text_cell(d.a), text_cell(d.b)});
    std::string out = fmt::format("run {} ({}, {}) vs run {} ({}, {})\n", diff.a.id, diff.a.name, diff.a.status,
                                  diff.b.id, diff.b.name, diff.b.status);
    out += config.rows.empty() ? "\nconfig: identical\n" : section("config keys that differ", config);
    Table metrics;
    metrics.columns = {{"split"}, {"task"}, {"metric"}, {a}, {b}, {"b - a"}};
    for (const auto& m : diff.metrics)
        metrics.add_row({text_cell(m.split), text_cell(m.task), text_cell(m.name),
                         m.a ? metric_cell(*m.a) : missing_cell(), m.b ? metric_cell(*m.b) : missing_cell(),
                         m.a && m.b ? metric_cell(*m.b - *m.a) : missing_cell()});
    out += section("final metrics (from training)", metrics);
    return out;
}

Json run_diff_json(const RunDiff& diff) {
    Json config = Json::array();
    for (const auto& d : diff.config) config.push(Json::object().set("key", d.key).set("a", d.a).set("b", d.b));
    Json metrics = Json::array();
    for (const auto& m : diff.metrics)
        metrics.push(Json::object()
                         .set("split", m.split)
                         .set("task", m.task)
                         .set("name", m.name)
                         .set("a", m.a ? Json(*m.a) : Json())
                         .set("b", m.b ? Json(*m.b) : Json()));
    return Json::object().set("a", diff.a.id).set("b", diff.b.id).set("config", config).set("metrics", metrics);
}

}  // namespace sm4
