#include "app/eval_job.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "io/results_db.h"
#include "io/run_summary.h"
#include "io/stored_config.h"
#include "platform/device.h"
#include "platform/threads.h"
#include "train/checkpoint.h"

namespace sm4 {

EvalResult evaluate_checkpoint(const EvalRequest& request) {
    EvalResult result;
    result.run = request.run;
    result.split = request.split;
    ResolvedConfig config;
    std::unique_ptr<ResultsDb> db;
    if (request.run) {
        require_existing_database(request.database);
        db = std::make_unique<ResultsDb>(request.database);
        const auto run = db->find_run(*request.run);
        if (!run) throw UsageError(fmt::format("run {} not found in {}", *request.run, request.database));
        config = stored_config(*run);
        require_current_design(config, fmt::format("run {}", *request.run));
        result.checkpoint = run_folder(*run) / "best.pt";
        if (!std::filesystem::exists(result.checkpoint))
            throw UsageError(fmt::format("run {} has no best checkpoint yet ({} is missing)", *request.run,
                                         result.checkpoint.string()));
    } else {
        result.checkpoint = request.checkpoint;
        config = stored_config(read_checkpoint_config(result.checkpoint), result.checkpoint.string() + " config");
        require_current_design(config, result.checkpoint.string());
    }
    configure_cpu_runtime(request.threads > 0 ? request.threads : config.values.train.threads);

    const std::vector<TaskData> tasks = load_tasks(config.values);
    std::vector<TaskSpec> specs;
    for (const auto& t : tasks) specs.push_back(t.spec);
    MultitaskModel model(config.values.model, specs);
    const at::Device device = compute_device(config.values.train.device);
    model->to(device);
    TrainingState state;
    load_checkpoint(result.checkpoint, model, nullptr, nullptr, &state, device);
    result.epoch = state.epoch;
    result.evaluations = evaluate(model, tasks, request.split, config.values.eval.batch_size, device);

    if (db) {
        const std::string split = to_string(request.split);
        std::vector<MetricRecord> rows;
        for (const auto& e : result.evaluations) {
            rows.push_back({*request.run, state.global_step, state.epoch, split, e.task, "loss", e.loss, "eval"});
            for (const auto& m : e.metrics)
                rows.push_back({*request.run, state.global_step, state.epoch, split, e.task, m.name, m.value, "eval"});
        }
        db->add_metrics(rows);
    }
    return result;
}

Json evaluation_json(const EvalResult& r) {
    Json out = Json::object();
    out.set("run", r.run ? Json(*r.run) : Json());
    out.set("checkpoint", r.checkpoint.string());
    out.set("split", to_string(r.split));
    out.set("epoch", r.epoch);
    Json tasks = Json::object();
    for (const auto& e : r.evaluations) {
        Json task = Json::object();
        task.set("type", to_string(e.type));
        task.set("loss", e.loss);
        for (const auto& m : e.metrics) task.set(m.name, m.value);
        tasks.set(e.task, std::move(task));
    }
    out.set("tasks", std::move(tasks));
    return out;
}

}  // namespace sm4
