// Attention as one autograd function: the CPU passes of model/attention_kernels.h where they
// apply (float, CPU), else LibTorch's ops (CUDA, other dtypes). Both take the heads straight out
// of the packed projections, so neither the permutes nor their backward copies are paid.
#pragma once

#include <ATen/core/Tensor.h>

#include "model/kernels/attention_kernels.h"

namespace sm4 {

// softmax(q k^T * scale) v per example and head -> [batch, queries, heads * head_dim].
// kv_source may be q_source itself (self-attention from one packed q|k|v projection). While a
// MatmulFlopCounter counts, the op-by-op form runs, so `sm4 flops` sees the attention's products.
at::Tensor multi_head_attention(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& layout);

// The op-by-op form (matmul, softmax, matmul), the reference of the tests and the path of other
// devices.
at::Tensor multi_head_attention_reference(const at::Tensor& q_source, const at::Tensor& kv_source,
                                          const AttentionLayout& layout);

}  // namespace sm4
