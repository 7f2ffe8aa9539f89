// `sm4 reproduce [EXPERIMENT] [--quick]`: the paper's comparison on one task group, end to end.
// Prepares the bundled data (or names the user's files that are missing), runs the sweep of SM4,
// its ablations and the baselines over seeds, accounts FLOPs for each method and prints the
// report's tables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"
#include "report/report.h"

namespace sm4 {

// Preprocesses every task of data.tasks whose file is missing and whose converter has a bundled
// source; returns the tasks it made. DataError listing every missing file that needs the user's
// raw data, with the `sm4 preprocess` command that makes it.
std::vector<std::string> prepare_missing_datasets(const Config& config);

struct ReproduceRequest {
    std::string experiment = "minibench";  // minibench, small, medium, large, or a .toml file
    bool quick = false;                    // one seed and a short budget
    int jobs = 0;                          // trainings at once; 0: one per core
    std::vector<std::string> overrides;    // --set, applied to every run
    std::string data_root;                 // --data: data.root of every run (empty: the experiment's)
    bool all = false;                      // also the paper's grids (kPaperGrids)
};

// The sweep files `reproduce --all` runs after the main comparison, over the same experiment:
// Tables 4 and 7's ablations and dense models, Table 5's router designs, Table 6's expert counts,
// Table 8's layers, Table 12's shared q/k/v router and Table 11's batch fusion.
inline const std::vector<std::string> kPaperGrids = {"paper-ablations", "router-designs", "ablation-experts",
                                                     "sm4-layers",      "qkv-router",     "batch-fusion"};

// What reproduce runs: a sweep file over base experiment files, with the budget's --set and seeds.
struct ReproducePlan {
    std::string name;                          // "minibench" or "minibench-quick"
    std::filesystem::path sweep_file;          // experiments/minibench-ablation.toml, experiments/methods.toml
    std::vector<std::filesystem::path> bases;  // the experiment, for methods.toml
    std::vector<std::string> overrides;        // budget, output locations, then the request's
    std::vector<std::int64_t> seeds;           // empty: the sweep file's
    std::filesystem::path folder;              // results/reproduce/<name>: database, runs, report
    int jobs = 1;
    std::filesystem::path experiment;          // the experiment file (its FLOPs decomposition)
    std::vector<std::filesystem::path> grids;  // --all: kPaperGrids' files, over grid_bases
    std::vector<std::filesystem::path> grid_bases;
};

ReproducePlan plan_reproduce(const ReproduceRequest& request);

struct ReproduceResult {
    ReproducePlan plan;
    std::filesystem::path database;   // the sweep's results database
    std::filesystem::path report_folder;  // plan.folder/report: tables and plots
    Report report;                    // the main comparison, with the paper's tables beside (--paper)
    Table flops_sources;              // where the FLOPs reduction comes from (app/flops_sources.h)
    std::vector<std::pair<std::string, Report>> grids;  // --all: each grid's report, by sweep name
    std::vector<std::string> notes;   // plots skipped and why
};

// Runs the plan: data, sweep, flops, report (written under plan.folder/report and returned);
// with --all then each grid (its report under plan.folder/report/<grid>).
// Progress goes to the process's observer; the sweep's errors (a failed run, Ctrl-C) propagate.
ReproduceResult run_reproduce(const ReproduceRequest& request);

}  // namespace sm4
