// A small results database for the report tests: runs with final test metrics (split test,
// source train), flops rows and traces, made without training.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "io/results_db.h"
#include "io/trace_file.h"

namespace sm4::test {

struct FakeRun {
    std::string sweep, variant, name = "minibench";
    std::int64_t seed = 0;
    std::vector<std::pair<std::string, std::map<std::string, double>>> test;  // task -> metric -> value, in task order
    std::string status = kRunCompleted;
    std::string runs_dir = "results/runs";
    std::vector<std::string> tasks = {};  // data.tasks of its config; empty: the default
    std::string config = "";              // more config TOML, e.g. "[model]\nbackbone = \"sm4\"\n"
};

inline std::int64_t add_fake_run(ResultsDb& db, const FakeRun& run) {
    NewRun row;
    row.name = run.name;
    row.experiment = "experiments/" + (run.sweep.empty() ? run.name : run.sweep) + ".toml";
    row.config_toml = "[output]\nruns_dir = \"" + run.runs_dir + "\"\n";
    if (!run.tasks.empty()) {
        std::string list;
        for (const auto& task : run.tasks) list += (list.empty() ? "\"" : ", \"") + task + "\"";
        row.config_toml += "[data]\ntasks = [" + list + "]\n";
    }
    row.config_toml += run.config;
    row.seed = run.seed;
    row.sweep = run.sweep;
    row.variant = run.variant;
    const std::int64_t id = db.create_run(row);
    std::vector<MetricRecord> metrics;
    for (const auto& [task, values] : run.test)
        for (const auto& [name, value] : values) {
            metrics.push_back({id, 100, 2, "test", task, name, value, "train"});
            metrics.push_back({id, 100, 2, "test", task, name, value - 0.5, "eval"});  // never reported
            metrics.push_back({id, 100, 2, "val", task, name, value - 0.25, "train"});
        }
    metrics.push_back({id, 100, 2, "val", "all", "score", 1.0, "train"});
    db.add_metrics(metrics);
    db.set_status(id, run.status);
    return id;
}

// Two variants x two seeds x two tasks: wine (accuracy, higher is better), push (mse, lower is).
inline void add_two_variants(ResultsDb& db, const std::string& sweep = "tables") {
    const std::map<std::string, std::vector<std::pair<double, double>>> scores = {
        {"sm4", {{0.90, 0.50}, {0.94, 0.70}}}, {"dense", {{0.80, 0.40}, {0.86, 0.44}}}};
    for (const char* variant : {"sm4", "dense"})
        for (std::int64_t seed = 0; seed < 2; ++seed) {
            const auto [accuracy, mse] = scores.at(variant)[static_cast<std::size_t>(seed)];
            add_fake_run(db, {sweep, variant, sweep + "/" + variant, seed,
                              {{"wine", {{"accuracy", accuracy}, {"macro_f1", 0.5}}}, {"push", {{"mse", mse}, {"mae", 0.1}}}}});
        }
}

}  // namespace sm4::test
