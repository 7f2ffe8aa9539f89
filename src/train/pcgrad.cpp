#include "train/pcgrad.h"

#include <ATen/ATen.h>

#include <numeric>

#include "core/random.h"

namespace sm4 {
namespace {

// Dot product of two gradients over all parameters (undefined parts are zero).
double dot(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
    double sum = 0.0;
    for (std::size_t p = 0; p < a.size(); ++p)
        if (a[p].defined() && b[p].defined()) sum += (a[p].to(at::kDouble) * b[p].to(at::kDouble)).sum().item<double>();
    return sum;
}

}  // namespace

std::vector<at::Tensor> pcgrad_combine(const std::vector<std::vector<at::Tensor>>& task_gradients,
                                       std::uint64_t order_seed) {
    const std::size_t tasks = task_gradients.size();
    if (tasks == 0) return {};
    const std::size_t parameters = task_gradients[0].size();
    std::vector<double> squared_norm(tasks);
    for (std::size_t t = 0; t < tasks; ++t) squared_norm[t] = dot(task_gradients[t], task_gradients[t]);
    Rng rng(order_seed);
    std::vector<at::Tensor> total(parameters);
    for (std::size_t t = 0; t < tasks; ++t) {
        std::vector<at::Tensor> g;
        for (const auto& part : task_gradients[t]) g.push_back(part.defined() ? part.clone() : part);
        std::vector<std::size_t> others(tasks);
        std::iota(others.begin(), others.end(), 0);
        rng.shuffle(others);
        for (std::size_t s : others) {
            if (s == t || squared_norm[s] == 0.0) continue;
            const double conflict = dot(g, task_gradients[s]);
            if (conflict >= 0.0) continue;
            const double scale = conflict / squared_norm[s];
            for (std::size_t p = 0; p < parameters; ++p) {
                const auto& other = task_gradients[s][p];
                if (!other.defined()) continue;
                g[p] = g[p].defined() ? g[p] - scale * other : -scale * other;
            }
        }
        for (std::size_t p = 0; p < parameters; ++p)
            if (g[p].defined()) total[p] = total[p].defined() ? total[p] + g[p] : g[p];
    }
    return total;
}

}  // namespace sm4
