// The gate of every expert group (Eq. 1-3): from a router's logits, each token's top k_j experts
// (k_j its modality's number of activated experts) and their weights, the entries of the full
// softmax (TopK(softmax(g(x)), k), Eq. 1-2) or, as an option, a softmax over the chosen logits;
// with Shazeer et al.'s noisy gating while training and their importance and load statistics for
// the balancing loss. The fused CPU kernel (model/kernels/gating_kernels.h) where it applies, the
// op-by-op form below elsewhere (CUDA) and as the tests' reference.
#pragma once

#include "model/kernels/gating_kernels.h"

namespace sm4 {

// The fused kernel on CPU float/double, else the op-by-op form.
Gating top_k_gating(const GatingInput& input);

// The op-by-op form: the same outputs and gradients, from LibTorch's ops.
Gating top_k_gating_reference(const GatingInput& input);

// Shazeer et al.'s balancing loss summed over routers: cv^2(importance_r) + cv^2(load_r) for each
// row r of importance and load [routers, experts] (a router that saw no token adds 0).
at::Tensor balance_loss(const at::Tensor& importance, const at::Tensor& load);

}  // namespace sm4
