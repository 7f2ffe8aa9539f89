#include "train/evaluate.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "train/losses.h"

namespace sm4 {
namespace {

template <class T>
std::vector<T> to_vector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kCPU).contiguous();
    return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

}  // namespace

std::vector<TaskEvaluation> evaluate(MultitaskModel& model, const std::vector<TaskData>& tasks, Split split,
                                     std::int64_t batch_size, const at::Device& device, ProcessGroup* group) {
    const torch::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    const std::int64_t ranks = group ? group->world_size() : 1, rank = group ? group->rank() : 0;
    std::vector<TaskEvaluation> results;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const SplitTensors& data = tasks[t].split(split);
        const TaskSpec& spec = tasks[t].spec;
        TaskEvaluation e{spec.name, spec.type, 0.0, {}, 0.0, data.size()};
        // This rank's share [first, last) of the split; the rest of `all` stays 0 until summed.
        const std::int64_t first = data.size() * rank / ranks, last = data.size() * (rank + 1) / ranks;
        at::Tensor all = at::zeros({data.size(), spec.head_outputs()}, at::kFloat);
        at::Tensor loss_sum = at::zeros({1}, at::kDouble);
        for (std::int64_t start = first; start < last; start += batch_size) {
            const std::int64_t n = std::min(batch_size, last - start);
            std::vector<at::Tensor> inputs;
            for (const auto& input : data.inputs) inputs.push_back(input.narrow(0, start, n).to(device));
            const at::Tensor out = model->forward(t, inputs).outputs;
            loss_sum += task_loss(spec.type, out, data.labels.narrow(0, start, n).to(device)).item<double>() * n;
            all.narrow(0, start, n).copy_(out.to(at::kCPU).to(at::kFloat).reshape({n, -1}));
        }
        if (group) group->all_reduce_sum({all, loss_sum});
        if (data.size() > 0) {
            e.loss = loss_sum.item<double>() / static_cast<double>(data.size());
            const bool classes = has_class_labels(spec.type);
            e.metrics = task_metrics(spec.type, to_vector<float>(all), all.size(1),
                                     classes ? to_vector<std::int64_t>(data.labels) : std::vector<std::int64_t>{},
                                     classes ? std::vector<float>{} : to_vector<float>(data.labels));
            e.selection = selection_metric(spec.type, e.metrics);
        }
        results.push_back(std::move(e));
    }
    model->train(was_training);
    return results;
}

double selection_score(const std::vector<TaskEvaluation>& evaluations, const TrainConfig& train) {
    double examples = 0.0;
    for (const auto& e : evaluations) examples += static_cast<double>(e.examples);
    const auto& weights = train.select_weights.empty() ? train.task_weights : train.select_weights;
    double score = 0.0;
    for (std::size_t t = 0; t < evaluations.size(); ++t) {
        const TaskEvaluation& e = evaluations[t];
        double metric = e.selection;
        if (e.type == TaskType::Regression && train.select_regression == RegressionScore::Rmse) metric = -std::sqrt(-metric);
        double weight = 1.0;
        if (train.select == Select::Pooled) weight = examples > 0 ? static_cast<double>(e.examples) / examples : 0.0;
        else if (train.select == Select::Weighted && !weights.empty()) weight = weights[t];
        score += weight * metric;
    }
    return score;
}

Table evaluation_table(const std::vector<TaskEvaluation>& evaluations) {
    std::vector<std::string> names;
    for (const auto& e : evaluations)
        for (const auto& m : e.metrics)
            if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    Table table;
    table.columns = {{"task"}, {"type"}, {"loss"}};
    for (const auto& n : names) table.columns.push_back({n});
    for (const auto& e : evaluations) {
        std::vector<Cell> row{text_cell(e.task), text_cell(to_string(e.type)), number_cell(e.loss, 4)};
        for (const auto& n : names) {
            const auto it = std::find_if(e.metrics.begin(), e.metrics.end(), [&](const Metric& m) { return m.name == n; });
            row.push_back(it == e.metrics.end() ? missing_cell() : number_cell(it->value, 4));
        }
        table.add_row(std::move(row));
    }
    return table;
}

}  // namespace sm4
