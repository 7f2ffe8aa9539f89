// Dropout added to a residual, out = x + dropout(y), as one pass each way on the CPU. Which
// elements are kept is a hash of (the call's seed, the element's index), so the backward pass
// recomputes the mask instead of storing it, and the result does not depend on the threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace sm4 {

struct DropoutDraw {
    std::uint64_t seed = 0;
    double p = 0.0;  // the probability of dropping an element
};

// Float CPU tensors of one shape, contiguous.
bool dropout_kernels_apply(const at::Tensor& x, const at::Tensor& y);

// x + y * keep / (1 - p).
at::Tensor residual_dropout_forward(const at::Tensor& x, const at::Tensor& y, const DropoutDraw& draw);

// grad * keep / (1 - p): the gradient of y (x's is grad itself).
at::Tensor dropout_backward(const at::Tensor& grad, const DropoutDraw& draw);

}  // namespace sm4
