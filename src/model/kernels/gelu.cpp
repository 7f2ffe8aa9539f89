#include "model/kernels/gelu.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "model/kernels/activation_kernels.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct GeluFunction : public torch::autograd::Function<GeluFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h) {
        const at::Tensor input = h.contiguous();
        at::Tensor out = at::empty_like(input);
        gelu_into(out, input);
        ctx->save_for_backward({input});
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        const at::Tensor h = ctx->get_saved_variables()[0];
        const at::Tensor grad = grad_outputs[0].contiguous();
        at::Tensor grad_h = at::empty_like(h);
        gelu_backward_into(grad_h, grad, h);
        return {grad_h};
    }
};

}  // namespace

at::Tensor fast_gelu(const at::Tensor& h) {
    if (!h.device().is_cpu() || h.scalar_type() != at::kFloat) return at::gelu(h);
    return GeluFunction::apply(h);
}

}  // namespace sm4
