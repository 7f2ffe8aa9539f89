#include "train/reproduce.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <thread>

#include "core/errors.h"
#include "core/text.h"
#include "data/preprocess.h"
#include "io/results_db.h"
#include "report/report.h"
#include "sweep/sweep_runner.h"
#include "train/flops_job.h"
#include "train/task_data.h"

#ifndef SM4_SOURCE_DIR
#define SM4_SOURCE_DIR "."
#endif

namespace sm4 {
namespace {

// The budgets. minibench's sweep file carries its own (3 epochs of 200 steps, 3 seeds: about
// 25 minutes with 2 jobs on 2 cores); --quick trims any experiment to one seed and a few steps.
const std::vector<std::string> kQuickBudget = {"train.epochs=1", "train.steps_per_epoch=60", "aea.probe_steps=10",
                                               "train.log_every=10"};

bool is_bundled(const std::string& experiment) { return experiment == "minibench"; }

// The tasks a run trained, from its stored config.
std::string run_tasks(const RunRecord& run) {
    const toml::table config = toml::parse(run.config_toml);
    std::string tasks;
    if (const auto* list = config.at_path("data.tasks").as_array())
        for (const auto& task : *list) tasks += task.value_or(std::string()) + ",";
    return tasks;
}

// FLOPs of each method: its first completed run of the sweep (seeds do not change the model's
// shape, apart from AEA's choice), and one per task for per-task variants.
void account_methods(const std::filesystem::path& database, const std::string& sweep) {
    const ResultsDb db(database);
    std::vector<std::string> done;
    auto runs = db.list_runs();
    std::reverse(runs.begin(), runs.end());  // oldest first
    for (const auto& run : runs) {
        if (run.sweep != sweep || run.status != kRunCompleted) continue;
        const std::string key = run.variant + "|" + run_tasks(run);
        if (std::find(done.begin(), done.end(), key) != done.end()) continue;
        done.push_back(key);
        if (db.flops(run.id).empty()) account_run(database, run.id);
    }
}

}  // namespace

std::filesystem::path experiment_file(const std::string& name) {
    const std::filesystem::path direct(name);
    if (direct.extension() == ".toml" && std::filesystem::exists(direct)) return direct;
    for (const std::filesystem::path& root : {std::filesystem::path("."), std::filesystem::path(SM4_SOURCE_DIR)}) {
        const auto candidate = root / "experiments" / (name + ".toml");
        if (std::filesystem::exists(candidate)) return candidate;
    }
    throw UsageError(fmt::format("experiment '{}' not found (looked for experiments/{}.toml here and in {})", name,
                                 name, SM4_SOURCE_DIR));
}

std::vector<std::string> prepare_missing_datasets(const Config& config) {
    std::vector<std::string> missing;
    for (const auto& task : config.data.tasks) {
        const auto path = task_file(config, task);
        if (!std::filesystem::exists(path) && find_converter(task).default_source.empty())
            missing.push_back(fmt::format("  {}: sm4 preprocess {} --src PATH --out {}", path.string(), task,
                                          path.string()));
    }
    if (!missing.empty())
        throw DataError(fmt::format("{} of the experiment's {} datasets are missing; they need your copy of the raw "
                                    "MultiBench files (where to get them: datasets/MULTIBENCH.md):\n{}",
                                    missing.size(), config.data.tasks.size(), join(missing, "\n")));
    std::vector<std::string> made;
    for (const auto& task : config.data.tasks) {
        const auto path = task_file(config, task);
        if (std::filesystem::exists(path)) continue;
        std::fprintf(stderr, "reproduce: preparing %s -> %s\n", task.c_str(), path.string().c_str());
        preprocess_dataset(task, "", path, config);
        made.push_back(task);
    }
    return made;
}

ReproducePlan plan_reproduce(const ReproduceRequest& request) {
    ReproducePlan plan;
    const std::filesystem::path experiment = experiment_file(request.experiment);
    const std::string stem = experiment.stem().string();
    plan.name = request.quick ? stem + "-quick" : stem;
    if (is_bundled(request.experiment)) {
        plan.sweep_file = experiment_file("minibench-ablation");
    } else {
        plan.sweep_file = experiment_file("methods");
        plan.bases = {experiment};
    }
    plan.folder = std::filesystem::path("results") / "reproduce" / plan.name;
    if (request.quick) {
        plan.overrides = kQuickBudget;
        plan.seeds = {0};
    }
    plan.overrides.push_back("output.database=" + (plan.folder / "sm4.db").string());
    plan.overrides.push_back("output.runs_dir=" + (plan.folder / "runs").string());
    plan.overrides.insert(plan.overrides.end(), request.overrides.begin(), request.overrides.end());
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    plan.jobs = request.jobs > 0 ? request.jobs : std::min(cores, 8);
    return plan;
}

void run_reproduce(const ReproduceRequest& request) {
    const ReproducePlan plan = plan_reproduce(request);
    SweepRequest sweep;
    sweep.file = plan.sweep_file;
    sweep.bases = plan.bases;
    sweep.overrides = plan.overrides;
    sweep.seeds = plan.seeds;
    sweep.jobs = plan.jobs;
    const SweepPlan runs = make_sweep_plan(sweep.file, sweep.overrides, sweep.bases, sweep.seeds);
    prepare_missing_datasets(runs.runs.front().config.values);
    fmt::print("reproduce {}: {} runs of {} ({} at once), results in {}\n", plan.name, runs.runs.size(),
               sweep.file.string(), plan.jobs, plan.folder.string());
    std::fflush(stdout);
    run_sweep(sweep);

    const std::filesystem::path database = runs.runs.front().config.values.output.database;
    account_methods(database, runs.name);
    ReportOptions options;
    options.sweep = runs.name;
    const Report report = build_report(ResultsDb(database), options);
    fmt::print("\n{}", format_report(report, ReportFormat::Markdown));
    const auto folder = plan.folder / "report";
    for (const auto& note : write_report(report, folder, PlotFormat::Png)) fmt::print(stderr, "note: {}\n", note);
    fmt::print("\nreproduce {}: tables (markdown, CSV, LaTeX) and plots in {}; every run: sm4 runs list --db {}\n",
               plan.name, folder.string(), database.string());
}

}  // namespace sm4
