// HighMMT's first cross-attention projects every token to keys and values after a layer norm:
// kv = W * LayerNorm([data, tail]). Most of a token's channels are its tail (zero padding,
// Fourier position features, modality code), the same for every example of the batch. This
// computes the same kv without building the tokens: per token only its data channels and two
// sums are touched, and the tail's product with W is made once per call, not once per example.
//
//   mu, rstd           the layer norm's statistics of [data, tail] (tail sums precomputed)
//   kv = rstd * (Wg [data, tail] - mu * Wg 1) + W beta,   Wg = W diag(gamma)
//
// Its backward gives W, gamma and beta their gradients from sums over the batch (no gradient
// flows to data or tail: they are inputs). Same numbers as the op-by-op form up to float
// rounding (the variance is E[x^2] - mu^2, in double).
#pragma once

#include <ATen/core/Tensor.h>

namespace sm4 {

// A modality's tokens in two parts: data [batch, tokens, channels] (the raw values) and tail
// [tokens, rest] (the channels every example shares). A token is [data row, tail row].
struct TokenParts {
    at::Tensor data;
    at::Tensor tail;
};

// linear(layer_norm([data, tail], gamma, beta, eps), weight) -> [batch, tokens, weight rows], no
// bias. While a MatmulFlopCounter counts, or when data needs a gradient, the op-by-op form runs.
at::Tensor normed_token_projection(const TokenParts& tokens, const at::Tensor& gamma, const at::Tensor& beta, double eps,
                                   const at::Tensor& weight);

// The op-by-op form: concatenate, layer norm, matrix product (the tests' reference).
at::Tensor normed_token_projection_reference(const TokenParts& tokens, const at::Tensor& gamma, const at::Tensor& beta,
                                             double eps, const at::Tensor& weight);

}  // namespace sm4
