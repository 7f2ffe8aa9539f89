#include "model/layers/paced_linear.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct PacedLinear : public torch::autograd::Function<PacedLinear> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                              const at::Tensor& pace, bool has_bias) {
        ctx->save_for_backward({x, weight, pace});
        ctx->saved_data["has_bias"] = has_bias;
        return at::linear(x, weight, has_bias ? bias : at::Tensor());
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &weight = saved[1], &pace = saved[2];
        const at::Tensor dy = grads[0].reshape({-1, weight.size(0)});
        const at::Tensor rows = x.reshape({-1, weight.size(1)});
        const at::Tensor paced = dy * pace.to(dy.scalar_type()).unsqueeze(1);
        at::Tensor grad_x = ctx->needs_input_grad(0) ? at::mm(dy, weight).view(x.sizes()) : at::Tensor();
        const at::Tensor grad_weight = at::mm(paced.t(), rows);
        const at::Tensor grad_bias = ctx->saved_data["has_bias"].toBool() ? paced.sum(0) : at::Tensor();
        return {grad_x, grad_weight, grad_bias, at::Tensor(), at::Tensor()};
    }
};

struct ScaleGradient : public torch::autograd::Function<ScaleGradient> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, double factor) {
        ctx->saved_data["factor"] = factor;
        return x.clone();
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        return {grads[0] * ctx->saved_data["factor"].toDouble(), at::Tensor()};
    }
};

}  // namespace

at::Tensor paced_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& token_pace) {
    if (!token_pace.defined()) return at::linear(x, weight, bias);
    const at::Tensor none = at::empty({0}, weight.options());
    return PacedLinear::apply(x, weight, bias.defined() ? bias : none, token_pace, bias.defined());
}

at::Tensor scale_gradient(const at::Tensor& x, double factor) {
    if (factor == 1.0) return x;
    return ScaleGradient::apply(x, factor);
}

}  // namespace sm4
