// PCGrad (Yu et al. 2020, "Gradient Surgery for Multi-Task Learning"): each task's gradient is
// projected off the normal plane of every other task's gradient it conflicts with (negative dot
// product), the others taken in a random order, and the projected gradients are summed. Each task
// here has its own forward pass, so its backward costs what its share of one summed backward
// would: PCGrad adds only the projections (a few dot products per task pair).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace sm4 {

// task_gradients[t][p]: task t's gradient of parameter p (undefined: the task did not reach it,
// taken as zero). order_seed fixes the random order in which each task meets the others.
// Returns the summed projected gradient per parameter (undefined where no task has one).
std::vector<at::Tensor> pcgrad_combine(const std::vector<std::vector<at::Tensor>>& task_gradients,
                                       std::uint64_t order_seed);

}  // namespace sm4
