#include "app/reproduce.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "app/experiment_file.h"
#include "app/flops_job.h"
#include "app/flops_sources.h"
#include "report/report_plots.h"
#include "app/sweep_runner.h"
#include "core/errors.h"
#include "core/events.h"
#include "core/text.h"
#include "data/preprocess.h"
#include "io/results_db.h"
#include "io/stored_config.h"
#include "train/task_data.h"

namespace sm4 {
namespace {

// The budgets. minibench's sweep file carries its own (6 epochs of 100 steps, 3 seeds); --quick
// trims any experiment to one seed and 3 epochs of 20 steps (so AEA and ALP act at two epoch
// ends), and any pretraining stage to one epoch.
const std::vector<std::string> kQuickBudget = {"train.epochs=3", "train.steps_per_epoch=20", "train.pretrain_epochs=1",
                                               "train.log_every=10"};

bool is_bundled(const std::string& experiment) { return experiment == "minibench"; }

// The tasks a run trained, from its stored config.
std::string run_tasks(const RunRecord& run) { return join(stored_config(run).values.data.tasks, ","); }

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
        notify(fmt::format("reproduce: preparing {} -> {}", task, path.string()));
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
    if (!request.data_root.empty()) plan.overrides.push_back("data.root=" + request.data_root);
    plan.overrides.push_back("output.database=" + (plan.folder / "sm4.db").string());
    plan.overrides.push_back("output.runs_dir=" + (plan.folder / "runs").string());
    plan.overrides.insert(plan.overrides.end(), request.overrides.begin(), request.overrides.end());
    plan.experiment = experiment;
    if (request.all) {
        for (const auto& grid : kPaperGrids) plan.grids.push_back(experiment_file(grid));
        plan.grid_bases = {is_bundled(request.experiment) ? plan.sweep_file : experiment};
    }
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    plan.jobs = request.jobs > 0 ? request.jobs : std::min(cores, 8);
    return plan;
}

ReproduceResult run_reproduce(const ReproduceRequest& request) {
    ReproduceResult result;
    result.plan = plan_reproduce(request);
    const ReproducePlan& plan = result.plan;
    SweepRequest sweep;
    sweep.file = plan.sweep_file;
    sweep.bases = plan.bases;
    sweep.overrides = plan.overrides;
    sweep.seeds = plan.seeds;
    sweep.jobs = plan.jobs;
    const SweepPlan runs = make_sweep_plan(sweep.file, sweep.overrides, sweep.bases, sweep.seeds);
    std::size_t total = runs.runs.size();
    std::vector<SweepPlan> grid_plans;  // planned once: counted now, run after the main comparison
    for (const auto& grid : plan.grids) {
        grid_plans.push_back(make_sweep_plan(grid, sweep.overrides, plan.grid_bases, sweep.seeds));
        total += grid_plans.back().runs.size();
    }
    prepare_missing_datasets(runs.runs.front().config.values);
    headline(fmt::format("reproduce {}: {} runs of {}{} ({} at once), results in {}", plan.name, total,
                         sweep.file.string(), plan.grids.empty() ? "" : fmt::format(" and {} grids", plan.grids.size()),
                         plan.jobs, plan.folder.string()));
    run_sweep(sweep);

    result.database = runs.runs.front().config.values.output.database;
    account_methods(result.database, runs.name);
    ReportOptions options;
    options.sweep = runs.name;
    options.paper = true;
    result.report = build_report(ResultsDb(result.database), options);
    result.report_folder = plan.folder / "report";
    result.notes = write_report(result.report, result.report_folder, PlotFormat::Png);
    result.flops_sources = flops_sources_table({{plan.experiment.stem().string(), flops_sources(plan.experiment)}},
                                               nullptr, result.report.scores.get());
    for (TableFormat format : {TableFormat::Markdown, TableFormat::Csv, TableFormat::Latex})
        write_text_file(result.report_folder / ("flops-sources." + table_format_extension(format)),
                        print_table(result.flops_sources, format));

    for (std::size_t g = 0; g < plan.grids.size(); ++g) {
        const std::filesystem::path& grid = plan.grids[g];
        const SweepPlan& grid_runs = grid_plans[g];
        SweepRequest grid_sweep = sweep;
        grid_sweep.file = grid;
        grid_sweep.bases = plan.grid_bases;
        run_sweep(grid_sweep);
        account_methods(result.database, grid_runs.name);
        ReportOptions grid_options = options;
        grid_options.sweep = grid_runs.name;
        Report report = build_report(ResultsDb(result.database), grid_options);
        const auto folder = result.report_folder / grid.stem();
        for (const auto& note : write_report(report, folder, PlotFormat::None)) result.notes.push_back(note);
        result.grids.emplace_back(grid_runs.name, std::move(report));
    }
    return result;
}

}  // namespace sm4
