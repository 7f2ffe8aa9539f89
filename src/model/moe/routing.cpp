#include "model/moe/routing.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "model/kernels/dispatch_kernels.h"

namespace sm4 {

at::Tensor cv_squared(const at::Tensor& values) {
    if (values.numel() <= 1) return at::zeros({}, values.options());
    return values.var() / (values.mean().pow(2) + 1e-10);
}

std::vector<std::int64_t> plan_block_starts(const std::vector<std::int64_t>& counts) {
    std::vector<std::int64_t> starts(counts.size(), 0);
    for (std::size_t e = 1; e < counts.size(); ++e) starts[e] = starts[e - 1] + counts[e - 1];
    return starts;
}

std::vector<std::int64_t> plan_busy_experts(const std::vector<std::int64_t>& counts) {
    std::vector<std::int64_t> experts;
    for (std::size_t e = 0; e < counts.size(); ++e)
        if (counts[e] > 0) experts.push_back(static_cast<std::int64_t>(e));
    std::stable_sort(experts.begin(), experts.end(), [&](std::int64_t a, std::int64_t b) { return counts[a] > counts[b]; });
    return experts;
}

std::int64_t expert_capacity(double capacity_factor, std::int64_t assignments, std::int64_t experts) {
    if (capacity_factor <= 0) return assignments;
    return static_cast<std::int64_t>(std::ceil(capacity_factor * static_cast<double>(assignments) / experts));
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

DispatchPlan plan_routing(const RouterOutput& routing, std::int64_t experts, double capacity_factor) {
    const std::int64_t tokens = routing.indices.size(0), k = routing.indices.size(1);
    if (routing.uniform_k) {
        const std::int64_t assignments = tokens * k;
        return plan_dispatch(routing.indices, routing.weights, experts, expert_capacity(capacity_factor, assignments, experts));
    }
    // Mixed k: the token's cells past its k are selected away (no assignment), one plan for all.
    const auto long_options = routing.indices.options().dtype(at::kLong);
    const at::Tensor valid = routing.indices.ge(0).reshape({-1});
    Assignments a;
    a.cells = at::arange(tokens * k, long_options).masked_select(valid);
    a.tokens = at::floor_divide(a.cells, k);
    a.experts = routing.indices.reshape({-1}).masked_select(valid);
    a.weights = routing.weights.reshape({-1}).masked_select(valid);
    a.priority = routing.weights.select(1, 0).detach().index_select(0, a.tokens);  // the token's top-1 weight
    a.token_count = tokens;
    a.slots = k;
    const std::int64_t assignments = a.cells.size(0);
    const std::int64_t capacity = expert_capacity(capacity_factor, assignments, experts);
    if (capacity >= assignments) return plan_assignments(a, experts, at::Tensor());
    return plan_assignments(a, experts, at::full({experts}, capacity, long_options));
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
    const at::NoGradGuard no_grad;
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
