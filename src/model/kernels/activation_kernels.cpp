#include "model/kernels/activation_kernels.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/kernels/fast_math.h"

namespace sm4 {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

bool fast_path(const at::Tensor& out, std::initializer_list<const at::Tensor*> inputs) {
    if (!out.device().is_cpu() || out.scalar_type() != at::kFloat || !out.is_contiguous()) return false;
    for (const at::Tensor* t : inputs)
        if (t->scalar_type() != at::kFloat || !t->is_contiguous() || !t->device().is_cpu() || t->numel() != out.numel())
            return false;
    return true;
}

// No __restrict: out may be the input (in place); GCC checks the overlap once and vectorises.
SM4_VECTOR_CLONES void gelu_forward(const float* h, float* out, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = 0.5f * h[i] * (1.0f + fast::erf(h[i] * kInvSqrt2));
}

// gelu'(h) = Phi(h) + h * phi(h).
SM4_VECTOR_CLONES void gelu_backward(const float* grad, const float* h, float* out, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        const float x = h[i];
        const float cdf = 0.5f * (1.0f + fast::erf(x * kInvSqrt2));
        const float pdf = kInvSqrt2Pi * fast::exp(-0.5f * x * x);
        out[i] = grad[i] * (cdf + x * pdf);
    }
}

}  // namespace

void gelu_into(at::Tensor& out, const at::Tensor& h) {
    if (!fast_path(out, {&h})) {
        at::gelu_out(out, h);
        return;
    }
    gelu_forward(h.data_ptr<float>(), out.data_ptr<float>(), h.numel());
}

void gelu_backward_into(at::Tensor& grad_h, const at::Tensor& grad_out, const at::Tensor& h) {
    if (!fast_path(grad_h, {&grad_out, &h})) {
        at::gelu_backward_out(grad_h, grad_out, h);
        return;
    }
    gelu_backward(grad_out.data_ptr<float>(), h.data_ptr<float>(), grad_h.data_ptr<float>(), h.numel());
}

}  // namespace sm4
