// What a router decides, and the capacity-limited dispatch every expert group shares (the
// feed-forward experts and the query, key and value experts). Dispatch sorts (token, expert)
// assignments by expert so each expert sees its tokens as one contiguous block: no expert ever
// computes a token it was not given.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace sm4 {

struct RouterOutput {
    at::Tensor indices;       // [tokens, k_max] int64, the chosen experts, best first; -1 past a token's k
    at::Tensor weights;       // [tokens, k_max] their gates (Eq. 1-2, or renormalised), 0 past a token's k
    at::Tensor probabilities; // [tokens, experts] softmax of the clean logits (routing entropy)
    at::Tensor balance_loss;  // scalar: sum over the routers of cv^2(importance) + cv^2(load)
    at::Tensor z_loss;        // scalar: mean of logsumexp(clean logits)^2
    at::Tensor entropy;       // [tokens] double, of `probabilities` in nats
    bool uniform_k = true;    // every token took k_max experts (no -1 entries)
};

// Squared coefficient of variation, var / mean^2 with the unbiased variance (as in Shazeer's
// reference code); 0 for a single expert.
at::Tensor cv_squared(const at::Tensor& values);

struct DispatchPlan {
    at::Tensor tokens;                 // [kept] token index of each kept assignment, grouped by expert
    at::Tensor experts;                // [kept] its expert (non-decreasing)
    at::Tensor weights;                // [kept] its gate weight
    std::vector<std::int64_t> counts;  // [experts] kept assignments per expert (block sizes)
    at::Tensor assigned;               // [experts] assignments before dropping (float)
    std::int64_t dropped = 0;          // assignments over capacity
    // [tokens, slots] int64: row (in the order above) of each token's kept assignments, -1 for
    // none; lets the combine and the gather's backward run per token, without atomics.
    at::Tensor positions;
    // [kept] float, optional: ALP's weight of each row's token (train/learning_pace.h). The
    // experts' weight gradients then sum w * each row's share; the gradients to x do not change.
    at::Tensor row_pace;
};

// Each expert's first row in a plan's expert-grouped order, from its block sizes.
std::vector<std::int64_t> plan_block_starts(const std::vector<std::int64_t>& counts);
// The experts given rows, largest block first (the order run_blocks hands them out in).
std::vector<std::int64_t> plan_busy_experts(const std::vector<std::int64_t>& counts);

// Expert capacity for `assignments` (token, expert) pairs: ceil(factor * assignments / experts);
// factor <= 0: unlimited (every assignment).
std::int64_t expert_capacity(double capacity_factor, std::int64_t assignments, std::int64_t experts);

// (token, expert) assignments as flat lists, [assignments] each.
struct Assignments {
    at::Tensor tokens;    // int64
    at::Tensor experts;   // int64, global expert index
    at::Tensor weights;   // gate weight
    at::Tensor priority;  // in [0, 1]; higher keeps its place first when an expert is over capacity
    // Optional: token * slots + j for the token's j-th assignment (int64), with the token count
    // and slots (the most assignments of any token). Undefined: derived from `tokens` (a sort).
    at::Tensor cells;
    std::int64_t token_count = 0, slots = 0;
};

// Groups assignments by expert. capacity: [experts] int64 per-expert limits, or undefined for
// none. Over capacity, batch-prioritised dropping (Riquelme et al. 2021) keeps the assignments
// of highest priority, ties broken by their order.
DispatchPlan plan_assignments(const Assignments& assignments, std::int64_t experts, const at::Tensor& capacity);

// The same for a [tokens, k] top-k routing, prioritised by each token's top-1 weight, with one
// capacity for every expert.
DispatchPlan plan_dispatch(const at::Tensor& indices, const at::Tensor& weights, std::int64_t experts,
                           std::int64_t capacity);

// The dispatch of a router's choice (mixed k allowed: a token's -1 entries are no assignment)
// under model.capacity_factor: one plan for every token, whatever its k.
DispatchPlan plan_routing(const RouterOutput& routing, std::int64_t experts, double capacity_factor);

// Per-modality routing statistics, accumulated over forwards until read. The sums live on the
// device of the routed tensors (no host copy per forward); read them with .to(kCPU).
struct RoutingAccumulator {
    at::Tensor entropy_sum;  // [slots] sum of normalised routing entropy of the tokens
    at::Tensor token_count;  // [slots]
    at::Tensor load;         // [experts] assignments
    std::int64_t dropped = 0;  // host count: the dispatch already knows it

    void reset(std::int64_t slots, std::int64_t experts);
    // The routing entropy normalised by log(router width), from probabilities [tokens, router
    // width], or from routing.entropy where the router computed it.
    void add_entropy(const RouterOutput& routing, const at::Tensor& slot_of_token);
    void add_load(const DispatchPlan& plan);
    void follow(const at::Device& device);  // keep the sums where the routing runs
    void add(const RouterOutput& routing, const at::Tensor& slot_of_token, const DispatchPlan& plan) {
        add_entropy(routing, slot_of_token);
        add_load(plan);
    }
};

}  // namespace sm4
