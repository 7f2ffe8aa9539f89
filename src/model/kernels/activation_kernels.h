// GELU (the exact, erf form) and its backward for the experts' hidden rows, in place of
// at::gelu / at::gelu_backward on the CPU: LibTorch 1.13's backward costs about 2 ns an element
// on one core (a third of the element-wise time of an MoE step at d_model 64); these are one
// vectorised pass each (fast_math.h's erf and exp, within 1e-6 of LibTorch's float results).
// Other devices and dtypes use LibTorch's.
#pragma once

#include <ATen/core/Tensor.h>

namespace sm4 {

// out = gelu(h); out may be h.
void gelu_into(at::Tensor& out, const at::Tensor& h);

// grad_h = grad_out * gelu'(h); grad_h may be grad_out.
void gelu_backward_into(at::Tensor& grad_h, const at::Tensor& grad_out, const at::Tensor& h);

}  // namespace sm4
