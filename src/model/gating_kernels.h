// Noisy top-k gating (routing.h) fused into one pass per token for the CPU.
//
// After the gate and noise projections, the router is a dozen small ops over [tokens, experts]
// (softplus, noise, top-k, two softmaxes, the scatter of importance, the load estimator's
// thresholds and erf, logsumexp) and their backward; at d_model 64 they cost as much as the
// experts' matrix products. Here each token's row is read once, forward and backward, with the
// tokens split over the block threads (platform/block_threads.h); the per-expert sums are taken
// per fixed chunk of tokens and added in chunk order, so the result does not depend on the
// thread count. routing.cpp keeps the op-by-op form for other devices and for evaluation.
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

// Whether noisy_top_k_gating runs on these logits: CPU, float or double.
bool fused_gating_applies(const at::Tensor& clean);

// clean, raw_noise [tokens, experts] (any row stride), eps [tokens, experts] standard normal,
// 1 <= k < experts. logits = clean + eps * (softplus(raw_noise) + 0.01). Differentiable in clean
// and raw_noise through weights, importance, load and logsumexp.
NoisyGating noisy_top_k_gating(const at::Tensor& clean, const at::Tensor& raw_noise, const at::Tensor& eps, std::int64_t k);

}  // namespace sm4
