#include "app/flops_job.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>

#include "app/multibench_shapes.h"
#include "core/config_hash.h"
#include "core/events.h"
#include "core/errors.h"
#include "io/run_summary.h"
#include "io/stored_config.h"
#include "io/task_dataset.h"
#include "model/flops/flop_count.h"
#include "model/flops/flop_measure.h"
#include "model/multitask_model.h"
#include "platform/threads.h"
#include "train/checkpoint.h"
#include "train/task_data.h"

namespace sm4 {
namespace {

const char* const kConfigured = "configured";
const char* const kDense = "dense";

// The split a task is measured on: eval.split, or the first non-empty of val, train.
const SplitTensors& measured_split(const TaskData& task, Split preferred) {
    for (const Split which : {preferred, Split::Val, Split::Train})
        if (task.split(which).size() > 0) return task.split(which);
    throw DataError(fmt::format("{}: task '{}' has no examples to measure", task.file.string(), task.spec.name));
}

// Measures every task's forward on `batch` examples and fills the model's measured columns,
// then its total row with the mean over tasks.
void measure_model(MultitaskModel& model, const std::vector<TaskData>& tasks, Split split,
                   std::int64_t batch, const std::string& label, std::vector<FlopsRecord>& rows) {
    double mean = 0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const SplitTensors& s = measured_split(tasks[t], split);
        const at::Tensor rows_taken = at::arange(std::min(batch, s.size()), at::kLong);
        const auto inputs = select_rows(s, rows_taken).first;
        attach_measured(rows, label, tasks[t].spec.name, measure_task_flops(model, t, inputs));
        mean += flops_totals(rows, label, tasks[t].spec.name).measured / static_cast<double>(tasks.size());
    }
    for (auto& r : rows)
        if (r.model == label && r.component == kTotal) r.measured_flops = mean;
}

FlopsReport account(const ResolvedConfig& resolved, std::optional<std::int64_t> run,
                    const std::filesystem::path& checkpoint, bool measure) {
    const Config& config = resolved.values;
    FlopsReport report;
    report.run = run;
    report.tasks = config.data.tasks;
    std::vector<TaskData> data;
    std::vector<TaskSpec> specs;
    for (const auto& name : config.data.tasks)
        if (measure && multibench_spec(name) && !std::filesystem::exists(task_file(config, name))) {
            notify(fmt::format("{}: not there, so no forward pass to measure: analytic counts only",
                               task_file(config, name).string()));
            measure = false;
        }
    if (measure) {
        configure_cpu_runtime(config.train.threads);
        data = load_tasks(config);
        for (const auto& t : data) specs.push_back(t.spec);
        report.batch = config.eval.batch_size;
        for (const auto& t : data) report.batch = std::min(report.batch, measured_split(t, config.eval.split).size());
    } else {
        specs = header_specs(config);
    }
    const ModelConfig configured = flops_matched_dense(config.model, specs);
    const ModelConfig dense = dense_counterpart(configured);
    const std::int64_t batch = std::max<std::int64_t>(report.batch, 1);
    report.rows = analytic_flops(configured, specs, batch, kConfigured);
    const auto dense_rows = analytic_flops(dense, specs, batch, kDense);
    report.rows.insert(report.rows.end(), dense_rows.begin(), dense_rows.end());
    if (measure) {
        at::manual_seed(static_cast<std::uint64_t>(config.train.seed));
        MultitaskModel model(configured, specs);
        report.weights = "initial";
        if (!checkpoint.empty()) {
            load_checkpoint(checkpoint, model, nullptr, nullptr, nullptr, at::Device(at::kCPU));
            report.weights = checkpoint.string();
        }
        measure_model(model, data, config.eval.split, report.batch, kConfigured, report.rows);
        at::manual_seed(static_cast<std::uint64_t>(config.train.seed));
        MultitaskModel dense_model(dense, specs);
        measure_model(dense_model, data, config.eval.split, report.batch, kDense, report.rows);
    }
    return report;
}

void store(FlopsReport& report) {
    ResultsDb db(report.database);
    db.replace_flops(report.run, report.config_hash, report.rows);
}

}  // namespace

std::vector<TaskSpec> header_specs(const Config& config) {
    std::vector<TaskSpec> specs;
    for (const auto& name : config.data.tasks) {
        const auto known = multibench_spec(name);
        if (known && !std::filesystem::exists(task_file(config, name))) {
            notify(fmt::format("{}: not there; counting task '{}' with the shapes `sm4 preprocess {}` writes",
                               task_file(config, name).string(), name, name));
            specs.push_back(*known);
            continue;
        }
        specs.push_back(task_spec_of(read_task_dataset(existing_task_file(config, name), false)));
    }
    return specs;
}

FlopsReport account_config(const ResolvedConfig& config, bool measure) {
    FlopsReport report = account(config, std::nullopt, {}, measure);
    report.config_hash = config_hash(config);
    report.database = config.values.output.database;
    store(report);
    return report;
}

FlopsReport account_run(const std::filesystem::path& database, std::int64_t run, bool measure) {
    require_existing_database(database);
    std::optional<RunRecord> record;
    {
        const ResultsDb db(database);
        record = db.find_run(run);
    }
    if (!record) throw UsageError(fmt::format("run {} not found in {}", run, database.string()));
    const ResolvedConfig config = stored_config(*record);
    require_current_design(config, fmt::format("run {}", run));
    const auto folder = run_folder(*record);
    std::filesystem::path checkpoint;
    for (const char* name : {"best.pt", "checkpoint.pt"})
        if (checkpoint.empty() && std::filesystem::exists(folder / name)) checkpoint = folder / name;
    FlopsReport report = account(config, run, checkpoint, measure);
    report.config_hash = record->config_hash.empty() ? config_hash(config) : record->config_hash;
    report.database = database;
    store(report);
    return report;
}

}  // namespace sm4
