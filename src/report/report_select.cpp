#include "report/report_select.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/text.h"
#include "io/stored_config.h"

namespace sm4 {
namespace {

// "1-4, 7, 9-10": ids listed compactly for error messages.
std::string id_ranges(std::vector<std::int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < ids.size();) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
        parts.push_back(j == i ? std::to_string(ids[i]) : fmt::format("{}-{}", ids[i], ids[j]));
        i = j + 1;
    }
    return parts.empty() ? "none" : join(parts, ", ");
}

std::string listed(const std::set<std::string>& names) {
    std::vector<std::string> quoted;
    for (const auto& n : names) quoted.push_back("'" + n + "'");
    return quoted.empty() ? "none" : join(quoted, ", ");
}

bool from_experiment(const RunRecord& run, const std::string& experiment) {
    for (const auto& file : split(run.experiment, ' '))
        if (!file.empty() && (file == experiment || std::filesystem::path(file).stem().string() == experiment)) return true;
    return false;
}

std::vector<RunRecord> selected_runs(const ResultsDb& db, const ReportOptions& options) {
    std::vector<RunRecord> all = db.list_runs();
    std::sort(all.begin(), all.end(), [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
    const std::string where = db.path().string();
    if (!options.sweep.empty()) {
        std::set<std::string> sweeps;
        std::vector<RunRecord> out;
        for (const auto& run : all) {
            if (!run.sweep.empty()) sweeps.insert(run.sweep);
            if (run.sweep == options.sweep) out.push_back(run);
        }
        // runs the sweep took as done from other sweeps, under its variant names
        for (const auto& reuse : db.sweep_reuses(options.sweep)) {
            const auto found = std::find_if(all.begin(), all.end(), [&](const RunRecord& r) { return r.id == reuse.run_id; });
            if (found == all.end() || std::any_of(out.begin(), out.end(), [&](const RunRecord& r) { return r.id == reuse.run_id; }))
                continue;
            RunRecord run = *found;
            run.variant = reuse.variant;
            out.push_back(run);
        }
        std::sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
        if (out.empty())
            throw UsageError(fmt::format("sweep '{}' not found in {}{}; sweeps there: {}", options.sweep, where,
                                         did_you_mean(options.sweep, {sweeps.begin(), sweeps.end()}), listed(sweeps)));
        return out;
    }
    if (!options.experiment.empty()) {
        std::set<std::string> experiments;
        std::vector<RunRecord> out;
        for (const auto& run : all) {
            for (const auto& file : split(run.experiment, ' '))
                if (!file.empty()) experiments.insert(std::filesystem::path(file).stem().string());
            if (from_experiment(run, options.experiment)) out.push_back(run);
        }
        if (out.empty())
            throw UsageError(fmt::format("experiment '{}' not found in {}{}; experiments there: {}", options.experiment,
                                         where, did_you_mean(options.experiment, {experiments.begin(), experiments.end()}),
                                         listed(experiments)));
        return out;
    }
    if (!options.run_ids.empty()) {
        std::map<std::int64_t, RunRecord> by_id;
        for (const auto& run : all) by_id[run.id] = run;
        std::vector<std::int64_t> missing, present;
        std::vector<RunRecord> out;
        for (auto id : options.run_ids) {
            const auto found = by_id.find(id);
            if (found == by_id.end()) missing.push_back(id);
            else if (std::none_of(out.begin(), out.end(), [&](const RunRecord& r) { return r.id == id; }))
                out.push_back(found->second);
        }
        for (const auto& [id, run] : by_id) present.push_back(id);
        if (!missing.empty())
            throw UsageError(fmt::format("run{} {} not found in {}; run ids there: {}", missing.size() > 1 ? "s" : "",
                                         id_ranges(missing), where, id_ranges(present)));
        std::sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
        return out;
    }
    if (all.empty()) throw UsageError(fmt::format("no runs in {}", where));
    return all;
}

// A completed run with what its stored config and metrics tell the plots and the task order.
ReportRun report_run(const ResultsDb& db, const RunRecord& run) {
    ReportRun r{run, run.variant.empty() ? run.name : run.variant, run_trace_path(db, run), {}, {}, db.modality_epochs(run.id)};
    try {
        const Config config = stored_config(run).values;
        r.tasks = config.data.tasks;
    } catch (const ConfigError&) {
        // a stored config this sm4 no longer reads: tables in logged order
    }
    for (auto& m : db.metrics(run.id, "", "train"))
        if ((m.split == "train" || m.split == "val") && m.task != "all") r.history.push_back(std::move(m));
    return r;
}

}  // namespace

std::filesystem::path run_trace_path(const ResultsDb& db, const RunRecord& run) {
    const auto checkpoints = db.checkpoints(run.id);
    if (!checkpoints.empty()) return std::filesystem::path(checkpoints.back().path).parent_path() / "trace.h5";
    try {
        return run_folder(run) / "trace.h5";
    } catch (const ConfigError&) {
        // a stored config this sm4 no longer reads: the claimed or the default folder
        if (!run.folder.empty()) return std::filesystem::path(run.folder) / "trace.h5";
        return std::filesystem::path(OutputConfig{}.runs_dir) / std::to_string(run.id) / "trace.h5";
    }
}

std::vector<ReportRun> select_report_runs(const ResultsDb& db, const ReportOptions& options,
                                          std::vector<std::string>& notes) {
    const int selections = !options.sweep.empty() + !options.experiment.empty() + !options.run_ids.empty();
    if (selections > 1) throw UsageError("a report selects runs by one of experiment, sweep or run ids, not several");
    const std::vector<RunRecord> runs = selected_runs(db, options);
    std::vector<ReportRun> out;
    std::map<std::string, std::vector<std::string>> left_out;  // status -> ids
    for (const auto& run : runs) {
        if (run.status != kRunCompleted) {
            left_out[run.status].push_back(std::to_string(run.id));
            continue;
        }
        out.push_back(report_run(db, run));
    }
    for (const auto& [status, ids] : left_out)
        notes.push_back(fmt::format("left out {} {} run{}: {}", ids.size(), status, ids.size() > 1 ? "s" : "", join(ids, ", ")));
    if (out.empty()) {
        std::vector<std::string> counts;
        for (const auto& [status, ids] : left_out) counts.push_back(fmt::format("{} {}", ids.size(), status));
        throw UsageError(fmt::format("no completed runs among the {} selected in {} ({})", runs.size(),
                                     db.path().string(), join(counts, ", ")));
    }
    return out;
}

}  // namespace sm4
