// x + dropout(y) for the transformer's residual connections: one fused autograd function on the
// CPU (model/dropout_kernels.h: a hashed mask, nothing stored for the backward pass), LibTorch's
// dropout elsewhere. Each call draws its seed from LibTorch's default CPU generator, so
// at::manual_seed makes it reproducible.
#pragma once

#include <ATen/core/Tensor.h>

namespace sm4 {

// x + y when not training or p == 0.
at::Tensor residual_dropout(const at::Tensor& x, const at::Tensor& y, double p, bool training);

}  // namespace sm4
