#include "train/allocation_probe.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "core/errors.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/table.h"
#include "model/multitask_model.h"
#include "train/batch_sampler.h"
#include "train/evaluate.h"
#include "train/losses.h"
#include "train/schedule.h"
#include "train/fused_adam.h"

namespace sm4 {
namespace {

// Tasks whose train split is cut to its first `examples` rows of a seeded permutation: the
// probe's train loss is measured on them in eval mode, like the validation loss.
std::vector<TaskData> train_subsets(const std::vector<TaskData>& tasks, std::int64_t examples, std::uint64_t seed) {
    std::vector<TaskData> subsets = tasks;
    const auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (auto& t : subsets) {
        const std::int64_t n = t.train.size();
        if (n <= examples) continue;
        const at::Tensor rows = at::randperm(n, generator, at::kLong).narrow(0, 0, examples);
        auto [inputs, labels] = select_rows(t.train, rows);
        t.train = {std::move(inputs), std::move(labels)};
    }
    return subsets;
}

std::vector<std::int64_t> probed_candidates(const AeaConfig& aea, std::int64_t groups) {
    std::vector<std::int64_t> candidates = aea.candidates;
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    if (aea.budget > 0) {
        const std::int64_t largest = aea.budget - (groups - 1);  // the others keep one expert each
        candidates.erase(std::remove_if(candidates.begin(), candidates.end(), [&](auto c) { return c > largest; }),
                         candidates.end());
    }
    if (candidates.empty())
        throw ConfigError(fmt::format("aea.budget ({}) leaves no candidate of aea.candidates for {} expert groups",
                                      aea.budget, groups));
    return candidates;
}

// Trains `model` for `steps` steps the way `sm4 train` does (round robin or proportional, fixed
// task weights, AdamW with the configured schedule over the probe's steps).
void train_probe_model(MultitaskModel& model, const Config& config, const std::vector<TaskData>& tasks,
                       const at::Device& device, std::int64_t steps, const std::string& label) {
    std::vector<std::int64_t> sizes;
    for (const auto& t : tasks) sizes.push_back(t.train.size());
    BatchSampler sampler(sizes, task_batch_sizes(config.train, sizes.size()), static_cast<std::uint64_t>(config.train.seed),
                         config.train.sampling);
    FusedAdamW optimizer(model->parameters(),
                                  torch::optim::AdamWOptions(config.train.lr).weight_decay(config.train.weight_decay));
    TrainConfig schedule = config.train;
    schedule.epochs = 1;
    std::vector<std::int64_t> counters(tasks.size(), 0);
    model->train();
    Progress progress(label, steps, "steps");
    for (std::int64_t step = 0; step < steps; ++step) {
        if (interrupt_requested()) throw InterruptedError("interrupted during the AEA probe; no run was recorded");
        static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options())
            .lr(learning_rate(schedule, step, steps, 0));
        optimizer.zero_grad();
        at::Tensor total = at::zeros({}, at::TensorOptions().device(device));
        for (std::size_t t : sampler.tasks_for_step(step)) {
            auto [inputs, labels] = select_rows(tasks[t].train, sampler.batch(t, counters[t]++));
            for (auto& input : inputs) input = input.to(device);
            const TaskOutput out = model->forward(t, inputs);
            const double weight = config.train.task_weights.empty() ? 1.0 : config.train.task_weights[t];
            total = total + weight * task_loss(tasks[t].spec.type, out.outputs, labels.to(device)) + out.aux_loss;
        }
        total.backward();
        if (config.train.grad_clip > 0) clip_gradient_norm(model->parameters(), config.train.grad_clip);
        optimizer.step();
        progress.advance();
    }
    progress.finish();
}

// A group's loss: the mean loss of the tasks with a modality in the group.
std::vector<double> group_losses(const std::vector<TaskEvaluation>& evaluations, const ExpertGroups& groups,
                                 const std::vector<TaskData>& tasks) {
    std::vector<double> sum(groups.size(), 0.0), count(groups.size(), 0.0);
    std::size_t slot = 0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        std::vector<bool> seen(groups.size(), false);
        for (std::size_t m = 0; m < tasks[t].spec.modalities.size(); ++m, ++slot) {
            const auto g = static_cast<std::size_t>(groups.group_of_slot[slot]);
            if (seen[g]) continue;
            seen[g] = true;
            sum[g] += evaluations[t].loss;
            count[g] += 1.0;
        }
    }
    for (std::size_t g = 0; g < sum.size(); ++g) sum[g] /= count[g];
    return sum;
}

}  // namespace

double AllocationProbe::total_seconds() const { return std::accumulate(seconds.begin(), seconds.end(), 0.0); }

bool allocation_probe_applies(const Config& config) {
    return config.aea.enabled && config.model.backbone == Backbone::Sm4 && config.model.group_experts.empty();
}

AllocationProbe probe_expert_allocation(const Config& config, const std::vector<TaskData>& tasks,
                                        const at::Device& device, std::int64_t steps_per_epoch) {
    std::vector<TaskSpec> specs;
    for (const auto& t : tasks) specs.push_back(t.spec);
    AllocationProbe probe;
    const ExpertGroups layout = make_expert_groups(specs, config.model);
    probe.groups = layout.names;
    probe.candidates = probed_candidates(config.aea, static_cast<std::int64_t>(layout.size()));
    probe.steps = config.aea.probe_steps > 0
                      ? config.aea.probe_steps
                      : std::max<std::int64_t>(1, steps_per_epoch / static_cast<std::int64_t>(probe.candidates.size()));
    probe.scores.assign(layout.size(), {});
    const auto subsets = train_subsets(tasks, config.aea.probe_train_examples, static_cast<std::uint64_t>(config.train.seed));
    for (std::size_t c = 0; c < probe.candidates.size(); ++c) {
        const auto start = std::chrono::steady_clock::now();
        ModelConfig model_config = config.model;
        model_config.group_experts.assign(layout.size(), probe.candidates[c]);
        model_config.top_k = std::min(model_config.top_k, probe.candidates[c] + model_config.shared_experts);
        at::manual_seed(static_cast<std::uint64_t>(config.train.seed));  // every candidate starts alike
        MultitaskModel model(model_config, specs);
        model->to(device);
        train_probe_model(model, config, tasks, device, probe.steps,
                          fmt::format("aea probe {}/{} ({} experts per group)", c + 1, probe.candidates.size(),
                                      probe.candidates[c]));
        const auto train = group_losses(evaluate(model, subsets, Split::Train, config.eval.batch_size, device), layout, tasks);
        const auto val = group_losses(evaluate(model, tasks, Split::Val, config.eval.batch_size, device), layout, tasks);
        for (std::size_t g = 0; g < layout.size(); ++g) probe.scores[g].push_back({probe.candidates[c], train[g], val[g]});
        probe.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    probe.chosen = choose_allocation(probe.scores, config.aea);
    return probe;
}

Table allocation_probe_table(const AllocationProbe& probe) {
    Table table;
    table.columns = {{"group"}, {"experts"}, {"train loss"}, {"val loss"}, {"gap"}, {"chosen"}};
    for (std::size_t g = 0; g < probe.groups.size(); ++g)
        for (const auto& s : probe.scores[g])
            table.add_row({text_cell(probe.groups[g]), value_cell(s.candidate), number_cell(s.train_loss, 4),
                           number_cell(s.val_loss, 4), number_cell(s.gap(), 4),
                           value_cell(s.candidate == probe.chosen[g], s.candidate == probe.chosen[g] ? "*" : "")});
    return table;
}

std::vector<AllocationRecord> allocation_records(std::int64_t run_id, const AllocationProbe& probe) {
    std::vector<AllocationRecord> records;
    for (std::size_t g = 0; g < probe.groups.size(); ++g)
        for (std::size_t c = 0; c < probe.scores[g].size(); ++c) {
            const auto& s = probe.scores[g][c];
            records.push_back({run_id, probe.groups[g], s.candidate, s.train_loss, s.val_loss, s.gap(),
                               s.candidate == probe.chosen[g], probe.seconds[c]});
        }
    return records;
}

}  // namespace sm4
