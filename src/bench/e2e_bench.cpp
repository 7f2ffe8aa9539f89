#include "bench/e2e_bench.h"

#include <ATen/ATen.h>

#include "bench/timing.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "model/multitask_model.h"
#include "platform/process_group.h"
#include "train/losses.h"
#include "train/task_data.h"
#include "train/fused_adam.h"

namespace sm4 {
namespace {

ModalitySpec modality(const std::string& name, const std::string& kind, std::vector<std::int64_t> shape) {
    return {name, kind, std::move(shape)};
}

// The shapes of the datasets the shipped experiments name (datasets/FORMAT.md, MULTIBENCH.md).
TaskSpec known_task(const std::string& name) {
    if (name == "fashion-mnist") return {name, TaskType::Classification, 10, {modality("image", "image", {1, 28, 28})}};
    if (name == "digits-av")
        return {name, TaskType::Classification, 10, {modality("image", "image", {1, 8, 8}), modality("audio", "audio", {1, 32, 32})}};
    if (name == "breast-cancer") return {name, TaskType::Binary, 2, {modality("features", "table", {30})}};
    if (name == "wine") return {name, TaskType::Classification, 3, {modality("features", "table", {13})}};
    if (name == "enrico")
        return {name, TaskType::Classification, 20,
                {modality("screenshot", "image", {3, 256, 128}), modality("wireframe", "image", {3, 256, 128})}};
    if (name == "avmnist")
        return {name, TaskType::Classification, 10,
                {modality("image", "image", {1, 28, 28}), modality("audio", "audio", {1, 112, 112})}};
    if (name == "push")
        return {name, TaskType::Regression, 32,
                {modality("gripper_pos", "timeseries", {16, 3}), modality("gripper_sensors", "timeseries", {16, 7}),
                 modality("image", "image", {16, 32, 32}), modality("control", "timeseries", {16, 7})}};
    throw ConfigError("sm4 bench: no known shapes for task \"" + name + "\" and its file is missing");
}

struct Batch {
    std::vector<at::Tensor> inputs;
    at::Tensor labels;
};

Batch synthetic_batch(const TaskSpec& spec, std::int64_t n) {
    Batch b;
    for (const auto& m : spec.modalities) {
        std::vector<std::int64_t> shape{n};
        shape.insert(shape.end(), m.shape.begin(), m.shape.end());
        b.inputs.push_back(at::rand(shape));
    }
    if (spec.type == TaskType::Regression) b.labels = at::randn({n, spec.num_outputs});
    else b.labels = at::randint(spec.type == TaskType::Binary ? 2 : spec.num_outputs, {n}, at::kLong);
    return b;
}

bool all_files_present(const Config& config) {
    for (const auto& task : config.data.tasks)
        if (!std::filesystem::exists(task_file(config, task))) return false;
    return true;
}

}  // namespace

std::vector<E2eResult> measure_training(const E2eOptions& options, const at::Device& device,
                                        const std::function<void()>& tick) {
    std::vector<E2eResult> results;
    for (const auto& name : options.configs) {
        const ResolvedConfig resolved = load_config({options.experiments / (name + ".toml")}, {});
        const Config& base = resolved.values;
        const std::int64_t batch = options.batch_size > 0 ? options.batch_size : base.train.batch_size;
        // One batch per task, drawn once: the bench times the step, not the data pipeline.
        std::vector<TaskSpec> specs;
        std::vector<Batch> batches;
        const bool real = all_files_present(base);
        if (real) {
            for (const auto& task : load_tasks(base)) {
                specs.push_back(task.spec);
                auto [inputs, labels] = select_rows(task.train, at::arange(std::min(batch, task.train.size()), at::kLong));
                batches.push_back({inputs, labels});
            }
        } else {
            for (const auto& task : base.data.tasks) {
                specs.push_back(known_task(task));
                batches.push_back(synthetic_batch(specs.back(), batch));
            }
        }
        for (auto& b : batches) {
            for (auto& input : b.inputs) input = input.to(device);
            b.labels = b.labels.to(device);
        }
        for (const auto& backbone : options.backbones) {
            Config config = base;
            config.model.backbone = backbone;
            reset_peak_rss();
            at::manual_seed(0);
            MultitaskModel model(config.model, specs);
            model->to(device);
            model->train();
            FusedAdamW optimizer(model->parameters(),
                                          torch::optim::AdamWOptions(config.train.lr).weight_decay(config.train.weight_decay));
            auto step = [&] {
                optimizer.zero_grad();
                at::Tensor total = at::zeros({}, at::TensorOptions().device(device));
                for (std::size_t t = 0; t < specs.size(); ++t) {
                    const TaskOutput out = model->forward(t, batches[t].inputs);
                    total = total + task_loss(specs[t].type, out.outputs, batches[t].labels) + out.aux_loss;
                }
                total.backward();
                if (options.group) {
                    std::vector<at::Tensor> gradients;
                    for (const auto& p : model->parameters())
                        if (p.grad().defined()) gradients.push_back(p.grad());
                    options.group->all_reduce_mean(gradients);
                }
                if (config.train.grad_clip > 0) clip_gradient_norm(model->parameters(), config.train.grad_clip);
                optimizer.step();
            };
            E2eResult r;
            r.config = name;
            r.backbone = to_string(backbone);
            r.data = real ? "real" : "synthetic";
            r.tasks = static_cast<std::int64_t>(specs.size());
            r.batch_size = batch;
            const double reduce_before = options.group ? options.group->reduce_seconds() : 0.0;
            const std::int64_t bytes_before = options.group ? options.group->reduced_bytes() : 0;
            for (int w = 0; w < options.warmup; ++w) step();
            const double rss_warm = resident_mb();
            r.step_ms = interleaved_median_ms({step}, 0, options.steps, device)[0];
            r.rss_growth_mb = resident_mb() - rss_warm;
            r.rss_peak_mb = peak_resident_mb();
            r.world_size = options.group ? options.group->world_size() : 1;
            r.samples_per_s = static_cast<double>(r.tasks * batch * r.world_size) / (r.step_ms / 1000.0);
            if (options.group) {
                const double calls = options.warmup + options.steps;
                r.reduce_ms = 1000.0 * (options.group->reduce_seconds() - reduce_before) / calls;
                r.reduce_mb = static_cast<double>(options.group->reduced_bytes() - bytes_before) / calls / 1e6;
            }
            for (const auto& p : model->parameters()) r.parameters += p.numel();
            r.load = load_average();
            results.push_back(r);
            if (tick) tick();
        }
    }
    return results;
}

}  // namespace sm4
