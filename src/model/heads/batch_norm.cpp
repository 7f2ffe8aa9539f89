#include "model/heads/batch_norm.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/autograd.h>

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Batch statistics summed over the ranks: forward the sums of x and x^2 and the count, backward
// the sums of dy and dy * x_hat (SyncBatchNorm's two reductions), each in double.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                              at::Tensor running_mean, at::Tensor running_var, double eps, double momentum,
                              const ReplicaGroup* group) {
        const std::int64_t f = x.size(1);
        const at::Tensor xd = x.to(at::kDouble);
        at::Tensor stats = at::cat({xd.sum(0), (xd * xd).sum(0), at::full({1}, static_cast<double>(x.size(0)), xd.options())});
        group->sum({stats});
        const double n = stats[2 * f].item<double>();
        const at::Tensor mean = stats.narrow(0, 0, f) / n;
        const at::Tensor var = (stats.narrow(0, f, f) / n - mean * mean).clamp_min(0.0);
        {
            const at::NoGradGuard no_grad;
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()), momentum);
            const at::Tensor unbiased = n > 1 ? var * (n / (n - 1)) : var;
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.scalar_type()), momentum);
        }
        const at::Tensor rstd = (var + eps).rsqrt();
        const at::Tensor x_hat = ((xd - mean) * rstd).to(x.scalar_type());
        ctx->save_for_backward({x_hat, weight, rstd.to(x.scalar_type())});
        ctx->saved_data["n"] = n;
        ctx->saved_data["group"] = reinterpret_cast<std::int64_t>(group);
        return x_hat * weight + bias;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor &x_hat = saved[0], &weight = saved[1], &rstd = saved[2];
        const auto* group = reinterpret_cast<const ReplicaGroup*>(ctx->saved_data["group"].toInt());
        const double n = ctx->saved_data["n"].toDouble();
        const at::Tensor dy = grads[0];
        const at::Tensor grad_bias = dy.sum(0), grad_weight = (dy * x_hat).sum(0);
        at::Tensor global = at::cat({grad_bias, grad_weight}).to(at::kDouble);
        group->sum({global});
        const std::int64_t f = x_hat.size(1);
        const at::Tensor sum_dy = global.narrow(0, 0, f).to(dy.scalar_type());
        const at::Tensor sum_dy_xhat = global.narrow(0, f, f).to(dy.scalar_type());
        const at::Tensor grad_x = weight * rstd / n * (n * dy - sum_dy - x_hat * sum_dy_xhat);
        return {grad_x, grad_weight, grad_bias, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

BatchNormImpl::BatchNormImpl(std::int64_t features, double eps, double momentum) : eps_(eps), momentum_(momentum) {
    weight = register_parameter("weight", at::ones({features}));
    bias = register_parameter("bias", at::zeros({features}));
    running_mean = register_buffer("running_mean", at::zeros({features}));
    running_var = register_buffer("running_var", at::ones({features}));
}

at::Tensor BatchNormImpl::forward(const at::Tensor& x) {
    if (is_training() && group_.sum)
        return SyncBatchNormFunction::apply(x, weight, bias, running_mean, running_var, eps_, momentum_, &group_);
    // One process: LibTorch's batch norm (a batch of one normalises to the bias, not an error).
    if (is_training() && x.size(0) == 1) return bias.expand_as(x) + 0 * x * weight;
    return at::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum_, eps_, /*cudnn_enabled=*/true);
}

}  // namespace sm4
