#include "train/modality_losses.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <limits>

#include "core/random.h"
#include "train/losses.h"

namespace sm4 {
namespace {

// The mean loss of task t over `rows` of `data` with the modalities of `present`.
double mean_loss(MultitaskModel& model, std::size_t t, const TaskData& task, const SplitTensors& data, const at::Tensor& rows,
                 const std::vector<bool>& present, std::int64_t batch_size, const at::Device& device, ProcessGroup* group) {
    const std::int64_t n = rows.defined() ? rows.size(0) : data.size();
    const std::int64_t ranks = group ? group->world_size() : 1, rank = group ? group->rank() : 0;
    const std::int64_t first = n * rank / ranks, last = n * (rank + 1) / ranks;
    at::Tensor sums = at::zeros({2}, at::kDouble);  // loss sum, examples
    for (std::int64_t start = first; start < last; start += batch_size) {
        const std::int64_t count = std::min(batch_size, last - start);
        const at::Tensor index = rows.defined() ? rows.narrow(0, start, count) : at::arange(start, start + count, at::kLong);
        auto [inputs, labels] = select_rows(data, index);
        for (auto& input : inputs) input = input.to(device);
        const at::Tensor out = model->forward(t, inputs, present).outputs;
        sums[0] += task_loss(task.spec.type, out, labels.to(device)).item<double>() * static_cast<double>(count);
        sums[1] += static_cast<double>(count);
    }
    if (group) group->all_reduce_sum({sums});
    const double examples = sums[1].item<double>();
    return examples > 0 ? sums[0].item<double>() / examples : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::vector<at::Tensor> training_subset(const std::vector<TaskData>& tasks, std::int64_t examples, std::uint64_t seed) {
    std::vector<at::Tensor> rows;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const std::int64_t n = tasks[t].train.size();
        at::Generator generator = at::detail::createCPUGenerator(derive_seed(seed + t, "aea-train-subset"));
        const at::Tensor order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
        rows.push_back(std::get<0>(order.narrow(0, 0, std::min(n, examples)).sort()));
    }
    return rows;
}

std::vector<double> slot_losses(MultitaskModel& model, const std::vector<TaskData>& tasks, Split split,
                                const std::vector<at::Tensor>& rows, AeaLoss measure, const std::vector<bool>& active,
                                std::int64_t batch_size, const at::Device& device, ProcessGroup* group,
                                const std::vector<double>& task_losses) {
    const torch::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    std::vector<double> out;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const std::size_t modalities = tasks[t].spec.modalities.size();
        if (!active[t]) {
            out.insert(out.end(), modalities, std::numeric_limits<double>::quiet_NaN());
            continue;
        }
        const SplitTensors& data = tasks[t].split(split);
        const at::Tensor& r = rows.empty() ? at::Tensor() : rows[t];
        if (measure == AeaLoss::Task || modalities == 1) {
            const double loss = !task_losses.empty() ? task_losses[t]
                                                     : mean_loss(model, t, tasks[t], data, r, std::vector<bool>(modalities, true),
                                                                 batch_size, device, group);
            out.insert(out.end(), modalities, loss);
            continue;
        }
        for (std::size_t m = 0; m < modalities; ++m) {
            std::vector<bool> present(modalities, false);
            present[m] = true;
            out.push_back(mean_loss(model, t, tasks[t], data, r, present, batch_size, device, group));
        }
    }
    model->train(was_training);
    return out;
}

}  // namespace sm4
