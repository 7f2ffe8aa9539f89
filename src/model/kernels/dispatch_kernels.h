// The memory-bound steps around the expert matrix products, each one pass over the rows: the
// weighted combine of expert outputs into tokens and the backward of the gather. On the CPU they
// run per token through the plan's positions table (no atomics, deterministic, one write per
// output row); elsewhere they fall back to index_add, which is atomic on CUDA.
#pragma once

#include <ATen/core/Tensor.h>

#include "model/moe/routing.h"

namespace sm4 {

// x [tokens, d] -> [kept, d]: the rows of plan.tokens, grouped by expert (the experts' region
// gathers its blocks itself; this is the same work as one call, for the bench and for callers
// outside a region).
at::Tensor gather_rows(const at::Tensor& x, const DispatchPlan& plan);

// y [kept, d] (plan order), plan.weights [kept] -> [tokens, d]: out[t] = sum of w_i * y_i over
// token t's kept assignments i (zero rows for tokens with none).
at::Tensor combine_rows(const at::Tensor& y, const DispatchPlan& plan, std::int64_t tokens);

// The backward of combine_rows for grad_out [tokens, d]: grad_y [kept, d] = w_i * grad_out[t_i]
// and grad_w [kept] = <grad_out[t_i], y_i>.
std::pair<at::Tensor, at::Tensor> combine_rows_backward(const at::Tensor& grad_out, const at::Tensor& y,
                                                        const DispatchPlan& plan);

// The backward of x.index_select(0, plan.tokens): grad_routed [kept, d] -> [tokens, d], each
// token's rows summed.
at::Tensor sum_rows_by_token(const at::Tensor& grad_routed, const DispatchPlan& plan, std::int64_t tokens);

// The permutation that groups assignments by expert (experts [n] int64 in [0, count)), keeping
// their order within an expert, or, given priority [n], putting higher priority first within an
// expert (ties in order; NaN counts as 0). The same permutation as a stable sort on
// expert - priority / 2, which is what it runs off the CPU and for non-float priorities; on the
// CPU otherwise a counting sort by expert, then one integer sort per expert block.
at::Tensor order_by_expert(const at::Tensor& experts, std::int64_t count, const at::Tensor& priority);

}  // namespace sm4
