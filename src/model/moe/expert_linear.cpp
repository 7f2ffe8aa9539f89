#include "model/moe/expert_linear.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>

#include "model/kernels/dispatch_kernels.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const std::vector<std::int64_t> kRows{0};  // bias gradients sum over a block's rows

struct ExpertLinearFunction : public torch::autograd::Function<ExpertLinearFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& gates, const at::Tensor& weight,
                              const at::Tensor& bias, const DispatchPlan* plan) {
        const std::int64_t kept = plan->tokens.size(0), d_out = weight.size(2);
        at::Tensor routed = at::empty({kept, x.size(1)}, x.options());  // x's rows grouped by expert
        at::Tensor y = at::empty({kept, d_out}, x.options());
        const auto starts = plan_block_starts(plan->counts);
        run_blocks(plan_busy_experts(plan->counts), [&](std::int64_t e) {
            const std::int64_t start = starts[e], n = plan->counts[e];
            at::Tensor re = routed.narrow(0, start, n), ye = y.narrow(0, start, n);
            at::index_select_out(re, x, 0, plan->tokens.narrow(0, start, n));
            at::addmm_out(ye, bias[e], re, weight[e]);
        });
        ctx->saved_data["counts"] = plan->counts;
        ctx->saved_data["tokens"] = plan->tokens;
        ctx->saved_data["positions"] = plan->positions;
        ctx->saved_data["routed"] = routed;
        ctx->saved_data["y"] = y;
        ctx->saved_data["tokens_total"] = x.size(0);
        if (plan->row_pace.defined()) ctx->saved_data["row_pace"] = plan->row_pace;
        ctx->save_for_backward({gates, weight});
        return combine_rows(y, *plan, x.size(0));
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        auto& s = ctx->saved_data;
        DispatchPlan plan;
        plan.tokens = s["tokens"].toTensor();
        plan.positions = s["positions"].toTensor();
        const auto saved = ctx->get_saved_variables();
        plan.weights = saved[0];
        const at::Tensor weight = saved[1];
        const auto counts = s["counts"].toIntVector();
        const at::Tensor routed = s["routed"].toTensor(), y = s["y"].toTensor();
        const std::int64_t tokens = s["tokens_total"].toInt();
        const at::Tensor pace = s.count("row_pace") ? s["row_pace"].toTensor().unsqueeze(1) : at::Tensor();

        auto [grad_y, grad_gates] = combine_rows_backward(grad_outputs[0].contiguous(), y, plan);
        at::Tensor grad_weight = at::zeros_like(weight), grad_bias = at::zeros({weight.size(0), weight.size(2)}, weight.options());
        at::Tensor grad_routed = at::empty_like(routed);
        const auto starts = plan_block_starts(counts);
        run_blocks(plan_busy_experts(counts), [&](std::int64_t e) {
            const std::int64_t start = starts[e], n = counts[e];
            const at::Tensor gy = grad_y.narrow(0, start, n);
            at::Tensor gw = grad_weight[e], gb = grad_bias[e], gr = grad_routed.narrow(0, start, n);
            // ALP: the weight gradients sum each row's share times its token's weight.
            const at::Tensor gy_paced = pace.defined() ? gy * pace.narrow(0, start, n) : gy;
            at::mm_out(gw, routed.narrow(0, start, n).t(), gy_paced);
            at::sum_out(gb, gy_paced, kRows);
            at::mm_out(gr, gy, weight[e].t());
        });
        at::Tensor grad_x = ctx->needs_input_grad(0) ? sum_rows_by_token(grad_routed, plan, tokens) : at::Tensor();
        return {grad_x, grad_gates, grad_weight, grad_bias, at::Tensor()};
    }
};

}  // namespace

at::Tensor run_expert_linears(const at::Tensor& x, const DispatchPlan& plan, const at::Tensor& weight, const at::Tensor& bias) {
    return ExpertLinearFunction::apply(x.contiguous(), plan.weights, weight, bias, &plan);
}

}  // namespace sm4
