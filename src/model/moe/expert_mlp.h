// The experts' two-layer GELU MLPs over a dispatch plan as one autograd function: one matrix
// product per expert block written straight into shared buffers (no per-expert outputs to
// concatenate), the gate weights fused into the combine, and a hand-written backward that
// reuses the forward's buffers. Equal (up to float rounding) to summing w * expert(x) per token.
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>
#include <vector>

#include "model/moe/routing.h"

namespace sm4 {

// One bank of N experts: w1 [N, d, h], b1 [N, h], w2 [N, h, d], b2 [N, d].
struct ExpertParameters {
    at::Tensor w1, b1, w2, b2;
};

// Per global expert (the plan's expert index): (bank, index within the bank).
using ExpertOwners = std::vector<std::pair<std::size_t, std::int64_t>>;

// x [tokens, d] -> [tokens, d]: for each token the sum over its kept assignments of
// weight * expert(x[token]). Differentiable in x, plan.weights and every bank's parameters.
at::Tensor run_expert_mlps(const at::Tensor& x, const DispatchPlan& plan, const std::vector<ExpertParameters>& banks,
                           const ExpertOwners& owners);

}  // namespace sm4
