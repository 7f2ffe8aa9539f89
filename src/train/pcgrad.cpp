#include "train/pcgrad.h"

#include <ATen/ATen.h>

#include <functional>
#include <numeric>

#include "core/random.h"

namespace sm4 {
namespace {

// Each task's gradient as one flat vector over every parameter some task reached (zeros where
// the task did not), so a projection is one dot product and one axpy, not one per parameter.
struct FlatGradients {
    std::vector<at::Tensor> tasks;            // [tasks] flat vectors
    std::vector<std::int64_t> parameter;      // parameters included, in order
    std::vector<std::vector<std::int64_t>> shapes;  // their shapes
    std::vector<at::ScalarType> types;        // and dtypes
};

FlatGradients flatten(const std::vector<std::vector<at::Tensor>>& task_gradients) {
    FlatGradients flat;
    std::vector<at::Tensor> templates;
    for (std::size_t p = 0; p < task_gradients[0].size(); ++p) {
        for (const auto& task : task_gradients)
            if (task[p].defined()) {
                flat.parameter.push_back(static_cast<std::int64_t>(p));
                templates.push_back(task[p]);
                break;
            }
    }
    for (const auto& t : templates) {
        flat.shapes.push_back(t.sizes().vec());
        flat.types.push_back(t.scalar_type());
    }
    for (const auto& task : task_gradients) {
        std::vector<at::Tensor> parts;
        for (std::size_t i = 0; i < flat.parameter.size(); ++i) {
            const auto& g = task[static_cast<std::size_t>(flat.parameter[i])];
            parts.push_back(g.defined() ? g.reshape({-1}) : at::zeros({templates[i].numel()}, templates[i].options()));
        }
        flat.tasks.push_back(at::cat(parts).to(at::kDouble));
    }
    return flat;
}

}  // namespace

std::vector<at::Tensor> pcgrad_combine(const std::vector<std::vector<at::Tensor>>& task_gradients,
                                       std::uint64_t order_seed) {
    if (task_gradients.empty()) return {};
    const FlatGradients flat = flatten(task_gradients);
    std::vector<at::Tensor> total(task_gradients[0].size());
    if (flat.parameter.empty()) return total;
    const std::size_t tasks = flat.tasks.size();
    std::vector<double> squared_norm(tasks);
    for (std::size_t t = 0; t < tasks; ++t) squared_norm[t] = flat.tasks[t].dot(flat.tasks[t]).item<double>();
    Rng rng(order_seed);
    at::Tensor sum = at::zeros_like(flat.tasks[0]);
    for (std::size_t t = 0; t < tasks; ++t) {
        at::Tensor g = flat.tasks[t].clone();
        std::vector<std::size_t> others(tasks);
        std::iota(others.begin(), others.end(), 0);
        rng.shuffle(others);
        for (std::size_t s : others) {
            if (s == t || squared_norm[s] == 0.0) continue;
            const double conflict = g.dot(flat.tasks[s]).item<double>();
            if (conflict < 0.0) g.add_(flat.tasks[s], -conflict / squared_norm[s]);
        }
        sum.add_(g);
    }
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < flat.parameter.size(); ++i) {
        const std::int64_t numel = std::accumulate(flat.shapes[i].begin(), flat.shapes[i].end(), std::int64_t{1},
                                                   std::multiplies<>());
        total[static_cast<std::size_t>(flat.parameter[i])] =
            sum.narrow(0, offset, numel).view(flat.shapes[i]).to(flat.types[i]);
        offset += numel;
    }
    return total;
}

}  // namespace sm4
