#include "model/layers/transformer_layer.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "model/kernels/gelu.h"
#include "model/kernels/residual_dropout.h"
#include "model/layers/paced_linear.h"

namespace sm4 {

namespace {

RouterSettings router_settings(const ModelConfig& c, RouterScope scope, std::int64_t slots, std::int64_t tasks) {
    RouterSettings r;
    r.d_model = c.d_model;
    r.experts = c.num_experts;
    r.scope = scope;
    r.slots = slots;
    r.tasks = tasks;
    r.noisy = c.noisy_gating;
    r.renormalize = c.gate == Gate::Renormalized;
    return r;
}

}  // namespace

TransformerLayerImpl::TransformerLayerImpl(const ModelConfig& c, bool sparse, std::int64_t slots, std::int64_t tasks)
    : dropout_(c.dropout) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
    const RouterScope a = sparse ? attention_scope(c) : RouterScope::None;
    const RouterScope f = sparse ? ffn_scope(c) : RouterScope::None;
    if (a != RouterScope::None) {
        SparseAttentionSettings s{router_settings(c, a, slots, tasks), c.heads, c.qkv_router == QkvRouting::Shared,
                                  c.capacity_factor};
        smoa = register_module("smoa", SparseAttention(s, slots));
    } else {
        attention = register_module("attention", MultiHeadAttention(c.d_model, c.heads, c.attention_head_dim));
    }
    if (f != RouterScope::None) {
        SparseFeedForwardSettings s{router_settings(c, f, slots, tasks), expert_hidden_width(c), c.capacity_factor};
        smoe = register_module("smoe", SparseFeedForward(s, slots));
    } else {
        ff1 = register_module("ff1", torch::nn::Linear(c.d_model, c.ffn_hidden));
        ff2 = register_module("ff2", torch::nn::Linear(c.ffn_hidden, c.d_model));
    }
}

at::Tensor TransformerLayerImpl::forward(const at::Tensor& x, const TokenRouting& routing) {
    const at::Tensor normed = norm1(x);
    const at::Tensor attended = smoa ? smoa(normed, routing) : attention(normed, routing.pace);
    const at::Tensor h = residual_dropout(x, attended, dropout_, is_training());
    const std::int64_t batch = h.size(0), tokens = h.size(1), d = h.size(2);
    const at::Tensor normed2 = norm2(h);
    const at::Tensor fed =
        smoe ? smoe(normed2.reshape({batch * tokens, d}), routing).view({batch, tokens, d})
             : paced_linear(fast_gelu(paced_linear(normed2, ff1->weight, ff1->bias, routing.pace)), ff2->weight, ff2->bias,
                            routing.pace);
    return residual_dropout(h, fed, dropout_, is_training());
}

at::Tensor TransformerLayerImpl::aux_loss(double balance_weight, double z_weight) const {
    at::Tensor total = at::zeros({});
    if (smoe && smoe->aux_loss.defined()) total = total + balance_weight * smoe->aux_loss + z_weight * smoe->z_loss;
    if (smoa && smoa->aux_loss.defined()) total = total + balance_weight * smoa->aux_loss + z_weight * smoa->z_loss;
    return total;
}

std::vector<RoutedGroup> TransformerLayerImpl::routed_groups() {
    std::vector<RoutedGroup> groups;
    if (smoa) {
        groups.push_back({"attention.query", &smoa->stats[0]});
        groups.push_back({"attention.key", &smoa->stats[1]});
        groups.push_back({"attention.value", &smoa->stats[2]});
    }
    if (smoe) groups.push_back({"ffn", &smoe->stats});
    return groups;
}

}  // namespace sm4
