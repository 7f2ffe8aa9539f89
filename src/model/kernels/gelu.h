// GELU (the exact, erf form) as one autograd function over model/activation_kernels.h's
// vectorised passes, for the dense feed-forward and HighMMT's GEGLU: LibTorch 1.13's
// gelu_backward costs about 2 ns an element on one core.
#pragma once

#include <ATen/core/Tensor.h>

namespace sm4 {

at::Tensor fast_gelu(const at::Tensor& h);

}  // namespace sm4
