#include "model/attention.h"

#include <ATen/ATen.h>

#include <cmath>

namespace sm4 {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::int64_t d_model, std::int64_t heads) : heads_(heads) {
    qkv = register_module("qkv", torch::nn::Linear(d_model, 3 * d_model));
    out = register_module("out", torch::nn::Linear(d_model, d_model));
}

at::Tensor MultiHeadAttentionImpl::forward(const at::Tensor& x) {
    const std::int64_t batch = x.size(0), tokens = x.size(1), d = x.size(2), head_dim = d / heads_;
    // [3, batch, heads, tokens, head_dim]
    const at::Tensor parts = qkv(x).view({batch, tokens, 3, heads_, head_dim}).permute({2, 0, 3, 1, 4});
    const at::Tensor scores = at::matmul(parts[0], parts[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(head_dim));
    const at::Tensor mixed = at::matmul(at::softmax(scores, -1), parts[2]);  // [batch, heads, tokens, head_dim]
    return out(mixed.transpose(1, 2).reshape({batch, tokens, d}));
}

MixtureOfHeadsImpl::MixtureOfHeadsImpl(std::int64_t d_model, std::int64_t heads, std::int64_t experts,
                                       std::int64_t top_k, bool noisy, std::int64_t slots)
    : head_dim_(d_model / heads), experts_(experts), top_k_(top_k) {
    router = register_module("router", TopKRouter(d_model, experts, top_k, noisy));
    kv = register_module("kv", torch::nn::Linear(d_model, 2 * head_dim_));
    const double bound_q = 1.0 / std::sqrt(static_cast<double>(d_model));
    const double bound_o = 1.0 / std::sqrt(static_cast<double>(head_dim_));
    w_query = register_parameter("w_query", at::empty({experts, d_model, head_dim_}).uniform_(-bound_q, bound_q));
    w_output = register_parameter("w_output", at::empty({experts, head_dim_, d_model}).uniform_(-bound_o, bound_o));
    stats.reset(slots, experts);
}

at::Tensor MixtureOfHeadsImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const std::int64_t batch = x.size(0), tokens = x.size(1), d = x.size(2);
    const at::Tensor flat = x.reshape({batch * tokens, d});
    const RouterOutput routing = router->forward(flat);
    const DispatchPlan plan = plan_dispatch(routing.indices, routing.weights, experts_, batch * tokens * top_k_);
    if (is_training()) stats.add(routing.probabilities, slot_of_token, plan);  // training dynamics only
    aux_loss = routing.balance_loss;
    z_loss = routing.z_loss;

    const at::Tensor key_value = kv(x);  // [batch, tokens, 2 * head_dim]
    const at::Tensor keys = key_value.narrow(2, 0, head_dim_);
    const at::Tensor values = key_value.narrow(2, head_dim_, head_dim_);
    const at::Tensor routed = flat.index_select(0, plan.tokens);
    const at::Tensor sequence = at::floor_divide(plan.tokens, tokens);  // which example each token is in
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim_));
    std::vector<at::Tensor> outputs;
    std::int64_t start = 0;
    for (std::int64_t e = 0; e < experts_; ++e) {
        const std::int64_t n = plan.counts[static_cast<std::size_t>(e)];
        if (n == 0) continue;
        const at::Tensor seq = sequence.narrow(0, start, n);
        const at::Tensor q = at::matmul(routed.narrow(0, start, n), w_query[e]).unsqueeze(1);  // [n, 1, hd]
        const at::Tensor k = keys.index_select(0, seq);                                         // [n, tokens, hd]
        const at::Tensor v = values.index_select(0, seq);
        const at::Tensor attention = at::softmax(at::matmul(q, k.transpose(1, 2)) * scale, -1);  // [n, 1, tokens]
        outputs.push_back(at::matmul(at::matmul(attention, v).squeeze(1), w_output[e]));          // [n, d]
        start += n;
    }
    const at::Tensor y = at::cat(outputs, 0) * plan.weights.unsqueeze(1);
    return at::zeros_like(flat).index_add(0, plan.tokens, y).view({batch, tokens, d});
}

}  // namespace sm4
