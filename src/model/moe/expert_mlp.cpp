#include "model/moe/expert_mlp.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>

#include "model/kernels/activation_kernels.h"
#include "model/kernels/dispatch_kernels.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const std::vector<std::int64_t> kRows{0};  // bias gradients sum over a block's rows

// Parameters travel as one flat list, four per bank (w1, b1, w2, b2), so autograd sees them all.
struct BankView {
    at::TensorList params;
    const at::Tensor& w1(std::size_t bank) const { return params[4 * bank]; }
    const at::Tensor& b1(std::size_t bank) const { return params[4 * bank + 1]; }
    const at::Tensor& w2(std::size_t bank) const { return params[4 * bank + 2]; }
    const at::Tensor& b2(std::size_t bank) const { return params[4 * bank + 3]; }
};

// What backward needs of the plan, kept in the context (the plan itself dies with forward).
struct Blocks {
    std::vector<std::int64_t> counts, bank, local;
};

Blocks blocks_of(const DispatchPlan& plan, const ExpertOwners& owners) {
    Blocks b{plan.counts, {}, {}};
    for (const auto& [bank, local] : owners) {
        b.bank.push_back(static_cast<std::int64_t>(bank));
        b.local.push_back(local);
    }
    return b;
}

struct ExpertMlpFunction : public torch::autograd::Function<ExpertMlpFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& gate_weights,
                              at::TensorList params, const DispatchPlan* plan, const ExpertOwners* owners) {
        const BankView p{params};
        const std::int64_t kept = plan->tokens.size(0), d = x.size(1), h = p.w1(0).size(2);
        at::Tensor routed = at::empty({kept, d}, x.options());  // x's rows grouped by expert, gathered per block
        at::Tensor hidden = at::empty({kept, h}, x.options());      // before GELU
        at::Tensor active = at::empty({kept, h}, x.options());      // after GELU
        at::Tensor y = at::empty({kept, d}, x.options());
        const auto starts = plan_block_starts(plan->counts);
        run_blocks(plan_busy_experts(plan->counts), [&](std::int64_t e) {
            const std::int64_t start = starts[e], n = plan->counts[e];
            const auto [bank, l] = (*owners)[e];
            at::Tensor re = routed.narrow(0, start, n), he = hidden.narrow(0, start, n);
            at::Tensor ae = active.narrow(0, start, n), ye = y.narrow(0, start, n);
            at::index_select_out(re, x, 0, plan->tokens.narrow(0, start, n));
            at::addmm_out(he, p.b1(bank)[l], re, p.w1(bank)[l]);
            gelu_into(ae, he);  // while the block is still in cache
            at::addmm_out(ye, p.b2(bank)[l], ae, p.w2(bank)[l]);
        });
        const Blocks b = blocks_of(*plan, *owners);
        ctx->saved_data["counts"] = b.counts;
        ctx->saved_data["bank"] = b.bank;
        ctx->saved_data["local"] = b.local;
        ctx->saved_data["tokens"] = plan->tokens;
        ctx->saved_data["positions"] = plan->positions;
        ctx->saved_data["routed"] = routed;
        ctx->saved_data["hidden"] = hidden;
        ctx->saved_data["active"] = active;
        ctx->saved_data["y"] = y;
        ctx->saved_data["tokens_total"] = x.size(0);
        if (plan->row_pace.defined()) ctx->saved_data["row_pace"] = plan->row_pace;
        ctx->save_for_backward({gate_weights});
        ctx->saved_data["banks"] = static_cast<std::int64_t>(params.size() / 4);
        for (std::size_t i = 0; i < params.size(); ++i) ctx->saved_data["p" + std::to_string(i)] = params[i];
        return combine_rows(y, *plan, x.size(0));
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        auto& s = ctx->saved_data;
        DispatchPlan plan;
        plan.tokens = s["tokens"].toTensor();
        plan.positions = s["positions"].toTensor();
        plan.weights = ctx->get_saved_variables()[0];
        const auto counts = s["counts"].toIntVector(), bank_of = s["bank"].toIntVector(), local_of = s["local"].toIntVector();
        const at::Tensor routed = s["routed"].toTensor(), hidden = s["hidden"].toTensor();
        const at::Tensor active = s["active"].toTensor(), y = s["y"].toTensor();
        const std::int64_t banks = s["banks"].toInt(), tokens = s["tokens_total"].toInt();
        const at::Tensor pace = s.count("row_pace") ? s["row_pace"].toTensor().unsqueeze(1) : at::Tensor();
        std::vector<at::Tensor> params;
        for (std::int64_t i = 0; i < 4 * banks; ++i) params.push_back(s["p" + std::to_string(i)].toTensor());

        auto [grad_y, grad_w] = combine_rows_backward(grad_outputs[0].contiguous(), y, plan);
        std::vector<at::Tensor> grads;
        for (const auto& param : params) grads.push_back(at::empty_like(param));
        at::Tensor grad_active = at::empty_like(active);  // becomes the grad of `hidden` in place
        at::Tensor grad_routed = at::empty_like(routed);
        const auto starts = plan_block_starts(counts);
        const auto busy = plan_busy_experts(counts);
        run_blocks(busy, [&](std::int64_t e) {
            const std::int64_t start = starts[e], n = counts[e];
            const auto bank = static_cast<std::size_t>(bank_of[e]);
            const std::int64_t l = local_of[e];
            const at::Tensor gy = grad_y.narrow(0, start, n), ae = active.narrow(0, start, n);
            at::Tensor ga = grad_active.narrow(0, start, n);
            at::Tensor gw2 = grads[4 * bank + 2][l], gb2 = grads[4 * bank + 3][l];
            at::Tensor gw1 = grads[4 * bank][l], gb1 = grads[4 * bank + 1][l];
            // ALP: the weight gradients sum each row's share times its token's weight.
            const at::Tensor row_pace = pace.defined() ? pace.narrow(0, start, n) : at::Tensor();
            const at::Tensor gy_paced = row_pace.defined() ? gy * row_pace : gy;
            at::mm_out(gw2, ae.t(), gy_paced);
            at::sum_out(gb2, gy_paced, kRows);
            at::mm_out(ga, gy, params[4 * bank + 2][l].t());
            gelu_backward_into(ga, ga, hidden.narrow(0, start, n));
            const at::Tensor ga_paced = row_pace.defined() ? ga * row_pace : ga;
            at::mm_out(gw1, routed.narrow(0, start, n).t(), ga_paced);
            at::sum_out(gb1, ga_paced, kRows);
            at::Tensor gr = grad_routed.narrow(0, start, n);
            at::mm_out(gr, ga, params[4 * bank][l].t());
        });
        for (std::size_t e = 0; e < counts.size(); ++e) {
            if (counts[e] > 0) continue;  // an expert given no tokens gets a zero gradient
            const auto bank = static_cast<std::size_t>(bank_of[e]);
            for (int k = 0; k < 4; ++k) grads[4 * bank + k][local_of[e]].zero_();
        }
        variable_list out;
        out.push_back(ctx->needs_input_grad(0) ? sum_rows_by_token(grad_routed, plan, tokens) : at::Tensor());
        out.push_back(grad_w);
        for (auto& g : grads) out.push_back(g);
        out.emplace_back();  // plan
        out.emplace_back();  // owners
        return out;
    }
};

}  // namespace

at::Tensor run_expert_mlps(const at::Tensor& x, const DispatchPlan& plan, const std::vector<ExpertParameters>& banks,
                           const ExpertOwners& owners) {
    std::vector<at::Tensor> params;
    for (const auto& b : banks) params.insert(params.end(), {b.w1, b.b1, b.w2, b.b2});
    return ExpertMlpFunction::apply(x, plan.weights, at::TensorList(params), &plan, &owners);
}

}  // namespace sm4
