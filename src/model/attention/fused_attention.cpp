#include "model/attention/fused_attention.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cstdlib>
#include <cstring>

#include "model/flops/flop_counter.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

AttentionLayout layout_from(AutogradContext* ctx) {
    auto& s = ctx->saved_data;
    AttentionLayout l;
    l.heads = s["heads"].toInt();
    l.head_dim = s["head_dim"].toInt();
    l.q_column = s["q_column"].toInt();
    l.k_column = s["k_column"].toInt();
    l.v_column = s["v_column"].toInt();
    l.scale = s["scale"].toDouble();
    return l;
}

struct AttentionFunction : public torch::autograd::Function<AttentionFunction> {
    // kv_source is q_source itself when `same` (its gradient then comes back in one tensor).
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q_source, const at::Tensor& kv_source, bool same,
                              std::int64_t heads, std::int64_t head_dim, std::int64_t q_column, std::int64_t k_column,
                              std::int64_t v_column, double scale) {
        const AttentionLayout l{heads, head_dim, q_column, k_column, v_column, scale};
        at::Tensor out, probabilities;
        attention_forward_into(q_source, kv_source, l, out, probabilities);
        ctx->save_for_backward({q_source, kv_source});
        ctx->saved_data["probabilities"] = probabilities;  // not an output: no reference cycle
        ctx->saved_data["same"] = same;
        ctx->saved_data["heads"] = heads;
        ctx->saved_data["head_dim"] = head_dim;
        ctx->saved_data["q_column"] = q_column;
        ctx->saved_data["k_column"] = k_column;
        ctx->saved_data["v_column"] = v_column;
        ctx->saved_data["scale"] = scale;
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor& q_source = saved[0];
        const at::Tensor& kv_source = saved[1];
        const bool same = ctx->saved_data["same"].toBool();
        at::Tensor grad_q = at::zeros(q_source.sizes(), q_source.options());
        at::Tensor grad_kv = same ? grad_q : at::zeros(kv_source.sizes(), kv_source.options());
        attention_backward_into(grad_outputs[0], q_source, kv_source, ctx->saved_data["probabilities"].toTensor(),
                                layout_from(ctx), grad_q, grad_kv);
        return {grad_q, same ? at::Tensor() : grad_kv, at::Tensor(), at::Tensor(), at::Tensor(),
                at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

// SM4_FUSED_ATTENTION=0 takes the op-by-op form everywhere (to measure what the fused one buys).
bool fused_attention_enabled() {
    static const bool enabled = [] {
        const char* value = std::getenv("SM4_FUSED_ATTENTION");
        return value == nullptr || std::strcmp(value, "0") != 0;
    }();
    return enabled;
}

}  // namespace

at::Tensor multi_head_attention(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& l) {
    if (!fused_attention_enabled() || flop_counter_active() || !attention_kernels_apply(q_source, kv_source, l)) return multi_head_attention_reference(q_source, kv_source, l);
    const bool same = q_source.is_same(kv_source);
    return AttentionFunction::apply(q_source, kv_source, same, l.heads, l.head_dim, l.q_column, l.k_column, l.v_column,
                                    l.scale);
}

at::Tensor multi_head_attention_reference(const at::Tensor& q_source, const at::Tensor& kv_source,
                                          const AttentionLayout& l) {
    const std::int64_t batch = q_source.size(0), queries = q_source.size(1), keys = kv_source.size(1);
    const std::int64_t width = l.heads * l.head_dim;
    auto heads_of = [&](const at::Tensor& source, std::int64_t column, std::int64_t rows) {
        return source.narrow(2, column, width).reshape({batch, rows, l.heads, l.head_dim}).transpose(1, 2);
    };
    const at::Tensor q = heads_of(q_source, l.q_column, queries);
    const at::Tensor k = heads_of(kv_source, l.k_column, keys);
    const at::Tensor v = heads_of(kv_source, l.v_column, keys);
    const at::Tensor weights = at::softmax(at::matmul(q, k.transpose(2, 3)) * l.scale, -1);
    return at::matmul(weights, v).transpose(1, 2).reshape({batch, queries, width});
}

}  // namespace sm4
