#include "train/eval_job.h"

#include <fmt/format.h>

#include "core/config_loader.h"
#include "core/errors.h"
#include "io/results_db.h"
#include "io/run_summary.h"
#include "platform/threads.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace sm4 {
namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += c;
    }
    return out + "\"";
}

}  // namespace

EvalResult evaluate_checkpoint(const EvalRequest& request) {
    EvalResult result;
    result.run = request.run;
    result.split = request.split;
    std::string config_text;
    std::unique_ptr<ResultsDb> db;
    if (request.run) {
        require_existing_database(request.database);
        db = std::make_unique<ResultsDb>(request.database);
        const auto run = db->find_run(*request.run);
        if (!run) throw UsageError(fmt::format("run {} not found in {}", *request.run, request.database));
        config_text = run->config_toml;
        ResolvedConfig stored = default_config();
        apply_toml(stored, config_text, fmt::format("run {} config", *request.run));
        result.checkpoint = std::filesystem::path(stored.values.output.runs_dir) / std::to_string(*request.run) / "best.pt";
        if (!std::filesystem::exists(result.checkpoint))
            throw UsageError(fmt::format("run {} has no best checkpoint yet ({} is missing)", *request.run,
                                         result.checkpoint.string()));
    } else {
        result.checkpoint = request.checkpoint;
        config_text = read_checkpoint_config(result.checkpoint);
    }
    ResolvedConfig config = default_config();
    apply_toml(config, config_text, result.checkpoint.string() + " config");
    configure_cpu_runtime(request.threads > 0 ? request.threads : config.values.train.threads);

    const std::vector<TaskData> tasks = load_tasks(config.values);
    std::vector<TaskSpec> specs;
    for (const auto& t : tasks) specs.push_back(t.spec);
    MultitaskModel model(config.values.model, specs);
    const at::Device device = training_device(config.values.train.device);
    model->to(device);
    TrainingState state;
    load_checkpoint(result.checkpoint, model, nullptr, nullptr, &state, device);
    result.epoch = state.epoch;
    result.evaluations = evaluate(model, tasks, request.split, config.values.eval.batch_size, device);

    if (db) {
        std::vector<MetricRecord> rows;
        for (const auto& e : result.evaluations) {
            rows.push_back({*request.run, state.global_step, state.epoch, request.split, e.task, "loss", e.loss, "eval"});
            for (const auto& m : e.metrics)
                rows.push_back({*request.run, state.global_step, state.epoch, request.split, e.task, m.name, m.value, "eval"});
        }
        db->add_metrics(rows);
    }
    return result;
}

std::string evaluation_json(const EvalResult& r) {
    std::string out = "{";
    out += "\"run\": " + (r.run ? std::to_string(*r.run) : std::string("null"));
    out += ", \"checkpoint\": " + json_string(r.checkpoint.string());
    out += ", \"split\": " + json_string(r.split);
    out += fmt::format(", \"epoch\": {}", r.epoch);
    out += ", \"tasks\": {";
    for (std::size_t i = 0; i < r.evaluations.size(); ++i) {
        const auto& e = r.evaluations[i];
        out += (i ? ", " : "") + json_string(e.task) + ": {";
        out += fmt::format("\"type\": {}, \"loss\": {}", json_string(to_string(e.type)), e.loss);
        for (const auto& m : e.metrics) out += fmt::format(", {}: {}", json_string(m.name), m.value);
        out += "}";
    }
    return out + "}}\n";
}

}  // namespace sm4
