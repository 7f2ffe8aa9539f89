#include "model/routing.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/dispatch_kernels.h"
#include "model/gating_kernels.h"

namespace sm4 {

TopKRouterImpl::TopKRouterImpl(std::int64_t d_model, std::int64_t experts, std::int64_t k, bool noisy)
    : experts_(experts), k_(k), noisy_(noisy) {
    gate = register_module("gate", torch::nn::Linear(torch::nn::LinearOptions(d_model, experts).bias(false)));
    // A zero router starts every expert equally likely, as in Shazeer et al.
    torch::NoGradGuard no_grad;
    gate->weight.zero_();
    if (noisy_) {
        noise = register_module("noise", torch::nn::Linear(torch::nn::LinearOptions(d_model, experts).bias(false)));
        noise->weight.zero_();
    }
}

at::Tensor cv_squared(const at::Tensor& values) {
    if (values.numel() <= 1) return at::zeros({}, values.options());
    return values.var() / (values.mean().pow(2) + 1e-10);
}

RouterOutput TopKRouterImpl::forward(const at::Tensor& x) {
    const bool add_noise = noisy_ && is_training() && k_ < experts_;
    if (!add_noise) return route(gate(x), at::Tensor(), at::Tensor());
    // The gate and noise projections as one product ([tokens, 2 * experts]): half the calls, and
    // skinny products are where a BLAS is least efficient.
    const at::Tensor weight = at::cat({gate->weight, noise->weight});
    const at::Tensor eps = at::randn({x.size(0), experts_}, x.options());
    if (fused_gating_applies(x)) return router_output(noisy_top_k_gating(x, weight, eps, k_));
    const at::Tensor both = at::linear(x, weight);
    return route(both.narrow(1, 0, experts_), both.narrow(1, experts_, experts_), eps);
}

RouterOutput router_output(const NoisyGating& gating) {
    RouterOutput out;
    out.indices = gating.indices;
    out.weights = gating.weights;
    out.probabilities = gating.probabilities;
    out.balance_loss = cv_squared(gating.importance) + cv_squared(gating.load);
    out.z_loss = gating.logsumexp.pow(2).mean();
    out.entropy = gating.entropy;
    return out;
}

RouterOutput TopKRouterImpl::route(const at::Tensor& clean, const at::Tensor& raw_noise, const at::Tensor& eps) const {
    at::Tensor logits = clean;
    at::Tensor noise_std;
    const bool add_noise = raw_noise.defined();
    if (add_noise) {
        noise_std = at::softplus(raw_noise) + 1e-2;
        logits = clean + eps * noise_std;
    }
    // One extra logit gives the threshold the load estimator needs.
    const std::int64_t take = std::min(k_ + 1, experts_);
    auto [top_logits, top_indices] = logits.topk(take, /*dim=*/1);
    RouterOutput out;
    out.indices = top_indices.narrow(1, 0, k_).contiguous();
    out.weights = at::softmax(top_logits.narrow(1, 0, k_), 1);
    out.probabilities = at::softmax(clean, 1);

    const at::Tensor gates = at::zeros_like(logits).scatter(1, out.indices, out.weights);
    const at::Tensor importance = gates.sum(0);
    at::Tensor load;
    if (add_noise) {
        // P(expert i stays in the top k when only its own noise is redrawn).
        const at::Tensor threshold_in = top_logits.narrow(1, k_, 1);      // k+1-th: bar for experts inside
        const at::Tensor threshold_out = top_logits.narrow(1, k_ - 1, 1); // k-th: bar for experts outside
        const at::Tensor inside = logits.gt(threshold_in);
        const at::Tensor bar = at::where(inside, threshold_in, threshold_out);
        const at::Tensor z = (clean - bar) / noise_std;
        load = (0.5 * (1.0 + at::erf(z / std::sqrt(2.0)))).sum(0);
    } else {
        load = gates.gt(0).to(clean.scalar_type()).sum(0);
    }
    out.balance_loss = cv_squared(importance) + cv_squared(load);
    out.z_loss = at::logsumexp(clean, 1).pow(2).mean();
    return out;
}

std::int64_t expert_capacity(double capacity_factor, std::int64_t tokens, std::int64_t k, std::int64_t experts) {
    if (capacity_factor <= 0) return tokens * k;
    return static_cast<std::int64_t>(std::ceil(capacity_factor * static_cast<double>(tokens * k) / experts));
}

namespace {

// cells = token * slots + j for the j-th assignment of each token, in assignment order.
void derive_cells(Assignments& a) {
    const auto long_options = a.tokens.options().dtype(at::kLong);
    if (a.token_count <= 0) a.token_count = a.tokens.numel() == 0 ? 0 : a.tokens.max().item<std::int64_t>() + 1;
    const at::Tensor by_token = std::get<1>(a.tokens.sort(/*stable=*/true, 0, false));
    const at::Tensor per_token = at::bincount(a.tokens, {}, a.token_count);
    if (a.slots <= 0) a.slots = a.tokens.numel() == 0 ? 1 : per_token.max().item<std::int64_t>();
    const at::Tensor starts = per_token.cumsum(0) - per_token;
    const at::Tensor sorted_tokens = a.tokens.index_select(0, by_token);
    const at::Tensor rank = at::arange(a.tokens.size(0), long_options) - starts.index_select(0, sorted_tokens);
    a.cells = at::empty_like(a.tokens).index_put_({by_token}, sorted_tokens * a.slots + rank);
}

}  // namespace

DispatchPlan plan_assignments(const Assignments& assignments, std::int64_t experts, const at::Tensor& capacity) {
    Assignments a = assignments;
    if (!a.cells.defined()) derive_cells(a);
    const auto long_options = a.experts.options().dtype(at::kLong);
    // Grouped by expert; under a capacity the highest-priority assignments first within a block
    // (ties by order), so they survive the cut. A diverged router (NaN weights) must still give
    // contiguous blocks: the trainer then reports the NaN loss, naming the task, instead of the
    // dispatch failing.
    at::Tensor order = order_by_expert(a.experts, experts, capacity.defined() ? a.priority : at::Tensor());
    const at::Tensor sorted_expert = a.experts.index_select(0, order);
    const at::Tensor counts = at::bincount(sorted_expert, {}, experts);
    DispatchPlan plan;
    plan.assigned = counts.to(at::kFloat);
    at::Tensor kept_counts = counts;
    if (capacity.defined()) {
        const at::Tensor starts = counts.cumsum(0) - counts;
        const at::Tensor rank = at::arange(order.size(0), long_options) - starts.index_select(0, sorted_expert);
        const at::Tensor keep = rank.lt(capacity.index_select(0, sorted_expert));
        order = order.masked_select(keep);
        kept_counts = at::minimum(counts, capacity);
        plan.dropped = sorted_expert.size(0) - order.size(0);
    }
    plan.tokens = a.tokens.index_select(0, order);
    plan.experts = a.experts.index_select(0, order);
    plan.weights = a.weights.index_select(0, order);
    // The one host copy of the layer: the block sizes the expert loop needs.
    const at::Tensor cpu_counts = kept_counts.to(at::kCPU).contiguous();
    plan.counts.assign(cpu_counts.data_ptr<std::int64_t>(), cpu_counts.data_ptr<std::int64_t>() + experts);
    plan.positions = at::full({a.token_count * a.slots}, -1, long_options)
                         .index_put_({a.cells.index_select(0, order)}, at::arange(order.size(0), long_options))
                         .view({a.token_count, a.slots});
    return plan;
}

DispatchPlan plan_dispatch(const at::Tensor& indices, const at::Tensor& weights, std::int64_t experts,
                           std::int64_t capacity) {
    const std::int64_t tokens = indices.size(0), k = indices.size(1);
    const auto long_options = indices.options().dtype(at::kLong);
    Assignments a;
    a.tokens = at::arange(tokens, long_options).unsqueeze(1).expand({tokens, k}).reshape({-1});
    a.experts = indices.reshape({-1});
    a.weights = weights.reshape({-1});
    a.priority = weights.select(1, 0).detach().unsqueeze(1).expand({tokens, k}).reshape({-1});  // the token's top-1 weight
    a.cells = at::arange(tokens * k, long_options);  // token-major already
    a.token_count = tokens;
    a.slots = k;
    if (capacity >= tokens * k) return plan_assignments(a, experts, at::Tensor());
    return plan_assignments(a, experts, at::full({experts}, capacity, a.experts.options()));
}

void RoutingAccumulator::reset(std::int64_t slots, std::int64_t experts) {
    entropy_sum = at::zeros({slots}, at::kDouble);
    token_count = at::zeros({slots}, at::kDouble);
    load = at::zeros({experts}, at::kDouble);
    dropped = 0;
}

void RoutingAccumulator::follow(const at::Device& device) {
    if (entropy_sum.device() == device) return;  // moves once after a reset, not per forward
    entropy_sum = entropy_sum.to(device);
    token_count = token_count.to(device);
    load = load.to(device);
}

void RoutingAccumulator::add_entropy(const RouterOutput& routing, const at::Tensor& slot_of_token) {
    const torch::NoGradGuard no_grad;
    follow(routing.probabilities.device());
    const std::int64_t experts = routing.probabilities.size(1);
    at::Tensor entropy = routing.entropy;
    if (!entropy.defined()) {
        const at::Tensor p = routing.probabilities.detach().to(at::kDouble);
        entropy = -(p * at::log(p.clamp_min(1e-12))).sum(1);
    }
    if (experts > 1) entropy = entropy / std::log(static_cast<double>(experts));
    const at::Tensor slots = slot_of_token.to(entropy.device());
    entropy_sum.index_add_(0, slots, entropy);
    token_count.index_add_(0, slots, at::ones_like(entropy));
}

void RoutingAccumulator::add_load(const DispatchPlan& plan) {
    follow(plan.assigned.device());
    load += plan.assigned.to(at::kDouble);
    dropped += plan.dropped;
}

}  // namespace sm4
