#include "model/attention.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/fused_attention.h"

namespace sm4 {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::int64_t d_model, std::int64_t heads) : heads_(heads) {
    qkv = register_module("qkv", torch::nn::Linear(d_model, 3 * d_model));
    out = register_module("out", torch::nn::Linear(d_model, d_model));
}

at::Tensor MultiHeadAttentionImpl::forward(const at::Tensor& x) {
    const std::int64_t d = x.size(2), head_dim = d / heads_;
    const at::Tensor packed = qkv(x);  // [batch, tokens, 3 d]: q | k | v, each head-major
    const AttentionLayout layout{heads_, head_dim, 0, d, 2 * d, 1.0 / std::sqrt(static_cast<double>(head_dim))};
    return out(multi_head_attention(packed, packed, layout));
}

MixtureOfHeadsImpl::MixtureOfHeadsImpl(std::int64_t d_model, std::int64_t heads, const ExpertGroups& groups,
                                       std::int64_t top_k, bool noisy)
    : head_dim_(d_model / heads), experts_(groups.total()) {
    router = register_module("router", GroupedRouter(d_model, groups, top_k, noisy));
    kv = register_module("kv", torch::nn::Linear(d_model, 2 * head_dim_));
    const double bound_q = 1.0 / std::sqrt(static_cast<double>(d_model));
    const double bound_o = 1.0 / std::sqrt(static_cast<double>(head_dim_));
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::int64_t n = groups.experts[g];
        const std::string suffix = groups.size() == 1 ? "" : std::to_string(g);
        w_query.push_back(register_parameter("w_query" + suffix, at::empty({n, d_model, head_dim_}).uniform_(-bound_q, bound_q)));
        w_output.push_back(register_parameter("w_output" + suffix, at::empty({n, head_dim_, d_model}).uniform_(-bound_o, bound_o)));
        for (std::int64_t e = 0; e < n; ++e) owner_.emplace_back(g, e);
    }
    stats.reset(static_cast<std::int64_t>(groups.group_of_slot.size()), experts_);
}

at::Tensor MixtureOfHeadsImpl::query_weight(std::int64_t e) const {
    const auto [group, local] = owner_[static_cast<std::size_t>(e)];
    return w_query[group][local];
}

at::Tensor MixtureOfHeadsImpl::output_weight(std::int64_t e) const {
    const auto [group, local] = owner_[static_cast<std::size_t>(e)];
    return w_output[group][local];
}

at::Tensor MixtureOfHeadsImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const std::int64_t batch = x.size(0), tokens = x.size(1), d = x.size(2);
    const at::Tensor flat = x.reshape({batch * tokens, d});
    const GroupedRouting routing = router->forward(flat, slot_of_token, stats);
    last_plan = plan_assignments(routing.assignments, experts_, at::Tensor());  // heads have no capacity limit
    if (is_training()) stats.add_load(last_plan);  // training dynamics only
    aux_loss = routing.aux_loss;
    z_loss = routing.z_loss;

    const at::Tensor key_value = kv(x);  // [batch, tokens, 2 * head_dim]
    const at::Tensor keys = key_value.narrow(2, 0, head_dim_);
    const at::Tensor values = key_value.narrow(2, head_dim_, head_dim_);
    const at::Tensor routed = flat.index_select(0, last_plan.tokens);
    const at::Tensor sequence = at::floor_divide(last_plan.tokens, tokens);  // which example each token is in
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim_));
    std::vector<at::Tensor> outputs;
    std::int64_t start = 0;
    for (std::int64_t e = 0; e < experts_; ++e) {
        const std::int64_t n = last_plan.counts[static_cast<std::size_t>(e)];
        if (n == 0) continue;
        const at::Tensor seq = sequence.narrow(0, start, n);
        const at::Tensor q = at::matmul(routed.narrow(0, start, n), query_weight(e)).unsqueeze(1);  // [n, 1, hd]
        const at::Tensor k = keys.index_select(0, seq);                                              // [n, tokens, hd]
        const at::Tensor v = values.index_select(0, seq);
        const at::Tensor attention = at::softmax(at::matmul(q, k.transpose(1, 2)) * scale, -1);       // [n, 1, tokens]
        outputs.push_back(at::matmul(at::matmul(attention, v).squeeze(1), output_weight(e)));         // [n, d]
        start += n;
    }
    const at::Tensor y = at::cat(outputs, 0) * last_plan.weights.unsqueeze(1);
    return at::zeros_like(flat).index_add(0, last_plan.tokens, y).view({batch, tokens, d});
}

}  // namespace sm4
