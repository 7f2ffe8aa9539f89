// Noisy top-k gating (routing.h) fused into one pass per token for the CPU.
//
// The router is a skinny product (the gate and noise projections, [tokens, d] x [d, 2 experts])
// and a dozen small ops over [tokens, experts] (softplus, noise, top-k, two softmaxes, the
// scatter of importance, the load estimator's thresholds and erf, logsumexp), and their
// backward; at d_model 64 they cost as much as the experts' matrix products. Here the tokens are
// split in fixed chunks over the block threads (platform/block_threads.h): each chunk's product
// rows, then each token's row read once, forward and backward. The per-expert sums and the
// weight's gradient are taken per chunk and added in chunk order, so the result does not depend
// on the thread count. routing.cpp keeps the op-by-op form for other devices and for evaluation.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace sm4 {

struct NoisyGating {
    at::Tensor indices;        // [tokens, k] int64, best first
    at::Tensor weights;        // [tokens, k] softmax over the chosen noisy logits
    at::Tensor probabilities;  // [tokens, experts] softmax of the clean logits (not differentiable)
    at::Tensor importance;     // [experts] sum of the gate weights
    at::Tensor load;           // [experts] expected token count (normal-CDF estimator)
    at::Tensor logsumexp;      // [tokens] of the clean logits (the z-loss)
    at::Tensor entropy;        // [tokens] double, of `probabilities`, in nats (not differentiable)
};

// Whether noisy_top_k_gating runs on this input: CPU, float or double.
bool fused_gating_applies(const at::Tensor& x);

// x [tokens, d]; weight [2 experts, d], the gate's rows then the noise projection's; eps
// [tokens, experts] standard normal; 1 <= k < experts. clean = x gate^T, raw_noise = x noise^T,
// logits = clean + eps * (softplus(raw_noise) + 0.01). Differentiable in x and weight through
// weights, importance, load and logsumexp.
NoisyGating noisy_top_k_gating(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& eps, std::int64_t k);

}  // namespace sm4
