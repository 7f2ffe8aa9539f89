// A group of linear experts (SMoA's query, key and value groups, A.7) over a dispatch plan, as one
// autograd function: one matrix product per expert block written straight into a shared buffer,
// the gates fused into the combine, a hand-written backward. Equal (up to float rounding) to
// summing gate * (x W_e + b_e) over each token's chosen experts.
#pragma once

#include <ATen/core/Tensor.h>

#include "model/moe/routing.h"

namespace sm4 {

// x [tokens, d_in], weight [experts, d_in, d_out], bias [experts, d_out] -> [tokens, d_out].
// Differentiable in x, plan.weights, weight and bias.
at::Tensor run_expert_linears(const at::Tensor& x, const DispatchPlan& plan, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace sm4
