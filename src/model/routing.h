// Top-k routing and capacity-limited dispatch, shared by the feed-forward experts and the
// attention-head experts. Dispatch sorts (token, expert) assignments by expert so each expert
// sees its tokens as one contiguous block: no expert ever computes a token it was not given.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <vector>

namespace sm4 {

struct RouterOutput {
    at::Tensor indices;       // [tokens, k] int64, the chosen experts, best first
    at::Tensor weights;       // [tokens, k] softmax over the chosen (noisy) logits
    at::Tensor probabilities; // [tokens, experts] softmax of the clean logits (routing entropy)
    at::Tensor balance_loss;  // scalar: cv^2(importance) + cv^2(load)
    at::Tensor z_loss;        // scalar: mean of logsumexp(clean logits)^2
    at::Tensor entropy;       // [tokens] double, of `probabilities` in nats, where the fused router gave it; else undefined
};

// Noisy top-k gating (Shazeer et al. 2017): logits = x W_g (+ N(0,1) * softplus(x W_noise) while
// training). Importance is the per-expert sum of gate weights; load is the per-expert expected
// count of tokens (the normal-CDF estimator when noisy, plain counts otherwise).
class TopKRouterImpl : public torch::nn::Module {
public:
    TopKRouterImpl(std::int64_t d_model, std::int64_t experts, std::int64_t k, bool noisy);
    RouterOutput forward(const at::Tensor& x);  // x: [tokens, d_model]
    std::int64_t experts() const { return experts_; }
    std::int64_t k() const { return k_; }

    torch::nn::Linear gate{nullptr};
    torch::nn::Linear noise{nullptr};  // absent when not noisy

    // The op-by-op router on given logits (raw_noise and eps undefined: no noise): the form used
    // off the CPU and outside training, and the reference the fused CPU kernel is tested against.
    RouterOutput route(const at::Tensor& clean, const at::Tensor& raw_noise, const at::Tensor& eps) const;

private:
    std::int64_t experts_, k_;
    bool noisy_;
};
TORCH_MODULE(TopKRouter);

struct NoisyGating;  // gating_kernels.h

// The router's outputs from the fused kernel's: balance loss cv^2(importance) + cv^2(load), z-loss
// the mean squared logsumexp.
RouterOutput router_output(const NoisyGating& gating);

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
};

// Expert capacity for `tokens` tokens: ceil(factor * tokens * k / experts); factor <= 0: unlimited.
std::int64_t expert_capacity(double capacity_factor, std::int64_t tokens, std::int64_t k, std::int64_t experts);

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
