// Top-k gating (model/moe/top_k_gating.h) fused into one pass per token for the CPU.
//
// After the router's product (logits [tokens, experts], or [tokens, 2 experts] with the noise
// projection's half) come a dozen small ops over [tokens, experts]: softplus and the noise, top-k,
// two softmaxes, the scatter of importance, the load estimator's thresholds and erf, logsumexp,
// and their backward; at d_model 64 they cost as much as the experts' products. Here the tokens
// are split in fixed chunks over the block threads (platform/block_threads.h), each token's row
// read once, forward and backward, with its own k (the paper's modality-specific k_j, Eq. 3).
// The per-router sums are taken per chunk and added in chunk order, so the result does not
// depend on the thread count.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace sm4 {

struct GatingInput {
    at::Tensor logits;        // [tokens, experts] clean logits; noisy: [tokens, 2 experts], clean then raw noise
    at::Tensor eps;           // [tokens, experts] standard normal draws when noisy; undefined: no noise
    at::Tensor k;             // [tokens] int64, experts each token takes, 1..experts
    std::int64_t k_max = 1;   // the largest k
    at::Tensor router;        // [tokens] int64 in [0, routers): whose importance and load a token adds to; undefined: 0
    std::int64_t routers = 1;
    bool renormalize = false; // weights: a softmax over the chosen logits; else the full softmax's entries (Eq. 1-2)
};

struct Gating {
    at::Tensor indices;        // [tokens, k_max] int64, best first; -1 past the token's k
    at::Tensor weights;        // [tokens, k_max], 0 past the token's k
    at::Tensor probabilities;  // [tokens, experts] softmax of the clean logits (not differentiable)
    at::Tensor importance;     // [routers, experts] sum of the weights
    at::Tensor load;           // [routers, experts] expected assignments (normal-CDF estimator when noisy, counts otherwise)
    at::Tensor logsumexp;      // [tokens] of the clean logits (the z-loss)
    at::Tensor entropy;        // [tokens] double, of `probabilities`, in nats (not differentiable)
};

// Whether fused_top_k_gating runs on these logits: CPU, float or double.
bool fused_gating_applies(const at::Tensor& logits);

// Differentiable in logits through weights, importance, load (when noisy) and logsumexp.
Gating fused_top_k_gating(const GatingInput& input);

}  // namespace sm4
