// ALP's modality-specific learning rates on weights every modality shares (train/learning_pace.h):
// a weight's gradient becomes the sum over tokens of w_m(t) times that token's share, w_m the
// weight of the token's modality slot, while the gradient passed back to the layer's input is
// left as it is, so nothing compounds from layer to layer. A plain linear map when no weights
// are given (ALP off, evaluation).
#pragma once

#include <ATen/core/Tensor.h>

namespace sm4 {

// x [..., in] (its rows in the order of `token_pace`), weight [out, in], bias [out] or undefined,
// token_pace [rows of x] float or undefined -> linear(x, weight, bias).
at::Tensor paced_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& token_pace);

// x unchanged; the gradient that reaches x is `factor` times the incoming one (a modality's
// unimodal-encoder pass: the encoder's weight gradients from that modality scale by its w).
at::Tensor scale_gradient(const at::Tensor& x, double factor);

}  // namespace sm4
