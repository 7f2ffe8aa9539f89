#include "model/kernels/residual_dropout.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>

#include <mutex>

#include "model/kernels/dropout_kernels.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::uint64_t draw_seed() {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get<at::CPUGeneratorImpl>()->random64();
}

struct ResidualDropoutFunction : public torch::autograd::Function<ResidualDropoutFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& y, double p) {
        const DropoutDraw draw{draw_seed(), p};
        ctx->saved_data["seed"] = static_cast<std::int64_t>(draw.seed);
        ctx->saved_data["p"] = p;
        return residual_dropout_forward(x, y, draw);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        const DropoutDraw draw{static_cast<std::uint64_t>(ctx->saved_data["seed"].toInt()), ctx->saved_data["p"].toDouble()};
        return {grad_outputs[0], dropout_backward(grad_outputs[0], draw), at::Tensor()};
    }
};

}  // namespace

at::Tensor residual_dropout(const at::Tensor& x, const at::Tensor& y, double p, bool training) {
    if (!training || p <= 0.0) return x + y;
    if (!dropout_kernels_apply(x, y)) return x + at::dropout(y, p, true);
    return ResidualDropoutFunction::apply(x, y, p);
}

}  // namespace sm4
