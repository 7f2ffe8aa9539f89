// Multi-head attention softmax(q k^T * scale) v over short sequences as two hand-written passes
// (forward, backward) on the CPU, in place of LibTorch 1.13's op-by-op attention: its batched
// products loop over every (example, head) matrix with one BLAS call each, and the permutes,
// selects and their backward copies cost more than the arithmetic at sm4's sizes (16-50 tokens,
// head width 8-64). Each (example, head) pair is one unit of work, run on the block threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace sm4 {

// Where the heads are: query rows in q_source [batch, queries, columns], key and value rows in
// kv_source [batch, keys, columns] (the same tensor for self-attention). Head h of the queries
// is columns q_column + h * head_dim .. + head_dim, likewise for keys and values.
struct AttentionLayout {
    std::int64_t heads = 1, head_dim = 1;
    std::int64_t q_column = 0, k_column = 0, v_column = 0;
    double scale = 1.0;
};

// Float CPU sources, 3-D, their last dimension contiguous, the columns in range.
bool attention_kernels_apply(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& layout);

// out [batch, queries, heads * head_dim] (contiguous, head-major columns); probabilities
// [batch, heads, queries, keys] (kept for the backward pass).
void attention_forward_into(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& layout,
                            at::Tensor& out, at::Tensor& probabilities);

// Adds the gradients of the sources into grad_q_source and grad_kv_source (contiguous, shaped as
// the sources, zero where no head reads; grad_kv_source may be grad_q_source itself).
void attention_backward_into(const at::Tensor& grad_out, const at::Tensor& q_source, const at::Tensor& kv_source,
                             const at::Tensor& probabilities, const AttentionLayout& layout, at::Tensor& grad_q_source,
                             at::Tensor& grad_kv_source);

}  // namespace sm4
