#include "model/kernels/attention_kernels.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "model/kernels/fast_math.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

// One (example, head) pair: its rows of the sources (row r of a matrix at base + r * stride),
// its rows of the output (or of the output's gradient) and its probabilities [queries, keys].
struct Pair {
    const float* q;
    const float* k;
    const float* v;
    std::int64_t q_stride, kv_stride;
    std::int64_t queries, keys;
    float scale;
};

// Eight floats as one value (GCC's vector extension): the fixed-width loops below are written
// with it, since GCC otherwise unrolls a 16-float accumulation into 16 scalar FMAs.
// (Only ever inlined, so the ABI note GCC gives for passing it by value does not apply.)
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float f8 __attribute__((vector_size(32)));

SM4_INLINE f8 load8(const float* p) {
    f8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

SM4_INLINE void store8(float* p, f8 v) { std::memcpy(p, &v, sizeof v); }

// The loops below take the head width as a template argument where it is one of the usual
// widths, so the inner loops over it are fixed-length vector code; HD = 0 reads it at run time.
template <int HD>
SM4_INLINE std::int64_t width_of(std::int64_t hd) {
    return HD > 0 ? HD : hd;
}

// A row count rounded up to whole f8 vectors.
SM4_INLINE std::int64_t padded(std::int64_t n) { return (n + 7) & ~std::int64_t{7}; }

// rows [n, width] at a row stride -> [width, padded(n)], the padding zero.
SM4_INLINE void transpose_padded(const float* __restrict rows, std::int64_t stride, std::int64_t n, std::int64_t width,
                                 float* __restrict out) {
    const std::int64_t np = padded(n);
    for (std::int64_t c = 0; c < width; ++c)
        for (std::int64_t j = n; j < np; ++j) out[c * np + j] = 0.0f;
    for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t c = 0; c < width; ++c) out[c * np + j] = rows[j * stride + c];
}

// out[j] = scale * sum_c x[c] * t[c][j] for j < np (t: [width, np]), eight columns at a time in
// one register across the whole sum.
template <int HD>
SM4_INLINE void row_times_transposed(const float* __restrict x, float scale, const float* __restrict t,
                                     std::int64_t width_runtime, std::int64_t np, float* __restrict out) {
    const std::int64_t width = width_of<HD>(width_runtime);
    for (std::int64_t j0 = 0; j0 < np; j0 += 8) {
        f8 acc = {};
        for (std::int64_t c = 0; c < width; ++c) acc += (x[c] * scale) * load8(t + c * np + j0);
        store8(out + j0, acc);
    }
}

// out (+)= sum_j w[j] * rows_j for n rows of the head width at a row stride; with a fixed
// width, eight floats a register and two chains of FMAs (even and odd rows), not one.
template <int HD>
SM4_INLINE void weighted_row_sum(const float* __restrict w, const float* __restrict rows, std::int64_t stride,
                                 std::int64_t n, std::int64_t width_runtime, bool accumulate, float* __restrict out) {
    if constexpr (HD > 0) {
        f8 even[HD / 8] = {}, odd[HD / 8] = {};
        std::int64_t j = 0;
        for (; j + 1 < n; j += 2) {
            const float w0 = w[j], w1 = w[j + 1];
            const float* __restrict r0 = rows + j * stride;
            const float* __restrict r1 = r0 + stride;
            for (int c = 0; c < HD / 8; ++c) {
                even[c] += w0 * load8(r0 + 8 * c);
                odd[c] += w1 * load8(r1 + 8 * c);
            }
        }
        if (j < n)
            for (int c = 0; c < HD / 8; ++c) even[c] += w[j] * load8(rows + j * stride + 8 * c);
        for (int c = 0; c < HD / 8; ++c)
            store8(out + 8 * c, (accumulate ? load8(out + 8 * c) : f8{}) + even[c] + odd[c]);
    } else {
        if (!accumulate)
            for (std::int64_t c = 0; c < width_runtime; ++c) out[c] = 0.0f;
        for (std::int64_t j = 0; j < n; ++j) {
            const float wj = w[j];
            const float* __restrict rj = rows + j * stride;
            for (std::int64_t c = 0; c < width_runtime; ++c) out[c] += wj * rj[c];
        }
    }
}

// row = softmax(scale * row), in place.
SM4_INLINE void softmax_in_place(float* __restrict row, std::int64_t n, float scale) {
    float top = row[0];
    for (std::int64_t j = 1; j < n; ++j) top = row[j] > top ? row[j] : top;
    float sum = 0.0f;
    for (std::int64_t j = 0; j < n; ++j) {
        row[j] = fast::exp((row[j] - top) * scale);
        sum += row[j];
    }
    const float inverse = 1.0f / sum;
    for (std::int64_t j = 0; j < n; ++j) row[j] *= inverse;
}

// P = softmax(q k^T * scale) row by row (keys transposed first, so a row's scores are axpys
// over the keys), then o_i = sum_j P_ij v_j.
template <int HD>
SM4_INLINE void forward_pair_impl(const Pair& a, std::int64_t hd_runtime, float* __restrict keys_t, float* __restrict p,
                                  float* __restrict o, std::int64_t o_stride) {
    const std::int64_t hd = width_of<HD>(hd_runtime), n = a.keys, np = padded(n);
    transpose_padded(a.k, a.kv_stride, n, hd, keys_t);
    float* __restrict scores = keys_t + hd * np;  // one row of np
    for (std::int64_t i = 0; i < a.queries; ++i) {
        float* __restrict row = p + i * n;
        const float* __restrict q = a.q + i * a.q_stride;
        row_times_transposed<HD>(q, a.scale, keys_t, hd, np, scores);
        for (std::int64_t j = 0; j < n; ++j) row[j] = scores[j];
        softmax_in_place(row, n, 1.0f);  // the scale is already in the scores
        weighted_row_sum<HD>(row, a.v, a.kv_stride, n, hd, false, o + i * o_stride);
    }
}

// Per query row: dP = dO_i v^T, dS_i = P_i * (dP - <P_i, dP>) * scale (the scores' gradient,
// scale included), dQ_i = sum_j dS_ij k_j. Then per key row, once all of dS is known:
// dV_j = sum_i P_ij dO_i and dK_j = sum_i dS_ij q_i, each row written once.
template <int HD>
SM4_INLINE void backward_pair_impl(const Pair& a, std::int64_t hd_runtime, const float* __restrict p,
                                   const float* __restrict grad_o, std::int64_t grad_o_stride, float* __restrict values_t,
                                   float* __restrict d_scores, float* __restrict grad_q, std::int64_t grad_q_stride,
                                   float* __restrict grad_k, float* __restrict grad_v, std::int64_t grad_kv_stride) {
    const std::int64_t hd = width_of<HD>(hd_runtime), n = a.keys, m = a.queries, np = padded(n);
    transpose_padded(a.v, a.kv_stride, n, hd, values_t);
    float* __restrict scratch = values_t + hd * np;
    for (std::int64_t i = 0; i < m; ++i) {
        const float* __restrict pi = p + i * n;
        const float* __restrict go = grad_o + i * grad_o_stride;
        float* __restrict ds = d_scores + i * n;
        row_times_transposed<HD>(go, 1.0f, values_t, hd, np, scratch);
        for (std::int64_t j = 0; j < n; ++j) ds[j] = scratch[j];
        float dot = 0.0f;
        for (std::int64_t j = 0; j < n; ++j) dot += pi[j] * ds[j];
        for (std::int64_t j = 0; j < n; ++j) ds[j] = pi[j] * (ds[j] - dot) * a.scale;
        weighted_row_sum<HD>(ds, a.k, a.kv_stride, n, hd, true, grad_q + i * grad_q_stride);
    }
    for (std::int64_t j = 0; j < n; ++j) {
        float* __restrict gv = grad_v + j * grad_kv_stride;
        float* __restrict gk = grad_k + j * grad_kv_stride;
        if constexpr (HD > 0) {
            f8 dv[HD / 8] = {}, dk[HD / 8] = {};
            for (std::int64_t i = 0; i < m; ++i) {
                const float pij = p[i * n + j], sij = d_scores[i * n + j];
                const float* __restrict go = grad_o + i * grad_o_stride;
                const float* __restrict qi = a.q + i * a.q_stride;
                for (int c = 0; c < HD / 8; ++c) {
                    dv[c] += pij * load8(go + 8 * c);
                    dk[c] += sij * load8(qi + 8 * c);
                }
            }
            for (int c = 0; c < HD / 8; ++c) {
                store8(gv + 8 * c, load8(gv + 8 * c) + dv[c]);
                store8(gk + 8 * c, load8(gk + 8 * c) + dk[c]);
            }
        } else {
            for (std::int64_t i = 0; i < m; ++i) {
                const float pij = p[i * n + j], sij = d_scores[i * n + j];
                const float* __restrict go = grad_o + i * grad_o_stride;
                const float* __restrict qi = a.q + i * a.q_stride;
                for (std::int64_t c = 0; c < hd; ++c) {
                    gv[c] += pij * go[c];
                    gk[c] += sij * qi[c];
                }
            }
        }
    }
}

SM4_VECTOR_CLONES void forward_pair(const Pair& a, std::int64_t hd, float* keys_t, float* p, float* o,
                                    std::int64_t o_stride) {
    switch (hd) {
    case 8: forward_pair_impl<8>(a, hd, keys_t, p, o, o_stride); break;
    case 16: forward_pair_impl<16>(a, hd, keys_t, p, o, o_stride); break;
    case 32: forward_pair_impl<32>(a, hd, keys_t, p, o, o_stride); break;
    case 64: forward_pair_impl<64>(a, hd, keys_t, p, o, o_stride); break;
    default: forward_pair_impl<0>(a, hd, keys_t, p, o, o_stride);
    }
}

SM4_VECTOR_CLONES void backward_pair(const Pair& a, std::int64_t hd, const float* p, const float* grad_o,
                                     std::int64_t grad_o_stride, float* values_t, float* d_scores, float* grad_q,
                                     std::int64_t grad_q_stride, float* grad_k, float* grad_v,
                                     std::int64_t grad_kv_stride) {
#define SM4_BACKWARD_PAIR(HD)                                                                                      \
    backward_pair_impl<HD>(a, hd, p, grad_o, grad_o_stride, values_t, d_scores, grad_q, grad_q_stride, grad_k, grad_v, \
                           grad_kv_stride)
    switch (hd) {
    case 8: SM4_BACKWARD_PAIR(8); break;
    case 16: SM4_BACKWARD_PAIR(16); break;
    case 32: SM4_BACKWARD_PAIR(32); break;
    case 64: SM4_BACKWARD_PAIR(64); break;
    default: SM4_BACKWARD_PAIR(0);
    }
#undef SM4_BACKWARD_PAIR
}

// Pairs with many keys (HighMMT's latents over hundreds of element tokens) run their products
// through the BLAS on views of the pair's rows instead: the row loops above are for short
// sequences, where a BLAS call costs more than its arithmetic.
bool blas_pair(std::int64_t queries, std::int64_t keys, std::int64_t hd) { return keys >= 96 && queries * hd >= 256; }

at::Tensor rows_view(const float* data, std::int64_t rows, std::int64_t width, std::int64_t stride) {
    return at::from_blob(const_cast<float*>(data), {rows, width}, {stride, 1}, at::TensorOptions().dtype(at::kFloat));
}

// Softmax of scale * row, in place, for each of `rows` rows of n.
SM4_VECTOR_CLONES void softmax_rows(float* p, std::int64_t rows, std::int64_t n, float scale) {
    for (std::int64_t i = 0; i < rows; ++i) softmax_in_place(p + i * n, n, scale);
}

// dS = P * (dP - <P_i, dP_i>) * scale, in place over dP, row by row.
SM4_VECTOR_CLONES void score_gradient_rows(const float* p, float* d, std::int64_t rows, std::int64_t n, float scale) {
    for (std::int64_t i = 0; i < rows; ++i) {
        const float* __restrict pi = p + i * n;
        float* __restrict di = d + i * n;
        float dot = 0.0f;
        for (std::int64_t j = 0; j < n; ++j) dot += pi[j] * di[j];
        for (std::int64_t j = 0; j < n; ++j) di[j] = pi[j] * (di[j] - dot) * scale;
    }
}

void forward_pair_blas(const Pair& a, std::int64_t hd, float* p, float* o, std::int64_t o_stride) {
    const at::Tensor q = rows_view(a.q, a.queries, hd, a.q_stride);
    const at::Tensor k = rows_view(a.k, a.keys, hd, a.kv_stride);
    const at::Tensor v = rows_view(a.v, a.keys, hd, a.kv_stride);
    at::Tensor scores = rows_view(p, a.queries, a.keys, a.keys);
    at::mm_out(scores, q, k.t());
    softmax_rows(p, a.queries, a.keys, a.scale);
    at::Tensor out = rows_view(o, a.queries, hd, o_stride);
    at::mm_out(out, scores, v);
}

void backward_pair_blas(const Pair& a, std::int64_t hd, const float* p, const float* grad_o, std::int64_t grad_o_stride,
                        float* d_scores, float* grad_q, std::int64_t grad_q_stride, float* grad_k, float* grad_v,
                        std::int64_t grad_kv_stride) {
    const at::Tensor q = rows_view(a.q, a.queries, hd, a.q_stride);
    const at::Tensor k = rows_view(a.k, a.keys, hd, a.kv_stride);
    const at::Tensor v = rows_view(a.v, a.keys, hd, a.kv_stride);
    const at::Tensor probabilities = rows_view(p, a.queries, a.keys, a.keys);
    const at::Tensor go = rows_view(grad_o, a.queries, hd, grad_o_stride);
    at::Tensor ds = rows_view(d_scores, a.queries, a.keys, a.keys);
    at::mm_out(ds, go, v.t());
    score_gradient_rows(p, d_scores, a.queries, a.keys, a.scale);
    rows_view(grad_q, a.queries, hd, grad_q_stride).addmm_(ds, k);
    rows_view(grad_k, a.keys, hd, grad_kv_stride).addmm_(ds.t(), q);
    rows_view(grad_v, a.keys, hd, grad_kv_stride).addmm_(probabilities.t(), go);
}

Pair pair_of(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& l, std::int64_t b,
             std::int64_t h) {
    const float* q = q_source.data_ptr<float>() + b * q_source.stride(0) + l.q_column + h * l.head_dim;
    const float* kv = kv_source.data_ptr<float>() + b * kv_source.stride(0) + h * l.head_dim;
    return {q, kv + l.k_column, kv + l.v_column, q_source.stride(1), kv_source.stride(1),
            q_source.size(1), kv_source.size(1), static_cast<float>(l.scale)};
}

// Pairs per range: enough work per range to pay a hand-off.
std::int64_t pair_grain(std::int64_t queries, std::int64_t keys, std::int64_t hd) {
    return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, queries * keys * hd / 16));
}

}  // namespace

bool attention_kernels_apply(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& l) {
    for (const at::Tensor* t : {&q_source, &kv_source}) {
        if (!t->device().is_cpu() || t->scalar_type() != at::kFloat || t->dim() != 3 || t->stride(2) != 1) return false;
        if (t->size(1) == 0 || t->size(0) != q_source.size(0)) return false;
    }
    const std::int64_t width = l.heads * l.head_dim;
    return l.head_dim > 0 && l.q_column + width <= q_source.size(2) && l.k_column + width <= kv_source.size(2) &&
           l.v_column + width <= kv_source.size(2);
}

void attention_forward_into(const at::Tensor& q_source, const at::Tensor& kv_source, const AttentionLayout& l,
                            at::Tensor& out, at::Tensor& probabilities) {
    const std::int64_t batch = q_source.size(0), queries = q_source.size(1), keys = kv_source.size(1);
    const std::int64_t hd = l.head_dim, heads = l.heads, width = heads * hd;
    out = at::empty({batch, queries, width}, q_source.options());
    probabilities = at::empty({batch, heads, queries, keys}, q_source.options());
    float* out_data = out.data_ptr<float>();
    float* p_data = probabilities.data_ptr<float>();
    const bool blas = blas_pair(queries, keys, hd);
    parallel_ranges(batch * heads, pair_grain(queries, keys, hd), [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> keys_t(blas ? 0 : static_cast<std::size_t>((hd + 1) * ((keys + 7) & ~std::int64_t{7})));
        for (std::int64_t pair = begin; pair < end; ++pair) {
            const std::int64_t b = pair / heads, h = pair % heads;
            const Pair a = pair_of(q_source, kv_source, l, b, h);
            float* p = p_data + pair * queries * keys;
            float* o = out_data + b * queries * width + h * hd;
            if (blas) forward_pair_blas(a, hd, p, o, width);
            else forward_pair(a, hd, keys_t.data(), p, o, width);
        }
    });
}

void attention_backward_into(const at::Tensor& grad_out, const at::Tensor& q_source, const at::Tensor& kv_source,
                             const at::Tensor& probabilities, const AttentionLayout& l, at::Tensor& grad_q_source,
                             at::Tensor& grad_kv_source) {
    const std::int64_t batch = q_source.size(0), queries = q_source.size(1), keys = kv_source.size(1);
    const std::int64_t hd = l.head_dim, heads = l.heads, width = heads * hd;
    const at::Tensor go = grad_out.contiguous();
    const float* go_data = go.data_ptr<float>();
    const float* p_data = probabilities.data_ptr<float>();
    float* gq_data = grad_q_source.data_ptr<float>();
    float* gkv_data = grad_kv_source.data_ptr<float>();
    const std::int64_t gq_stride = grad_q_source.size(2), gkv_stride = grad_kv_source.size(2);
    const bool blas = blas_pair(queries, keys, hd);
    parallel_ranges(batch * heads, pair_grain(queries, keys, hd), [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> values_t(blas ? 0 : static_cast<std::size_t>((hd + 1) * ((keys + 7) & ~std::int64_t{7})));
        std::vector<float> d_scores(static_cast<std::size_t>(queries * keys));
        for (std::int64_t pair = begin; pair < end; ++pair) {
            const std::int64_t b = pair / heads, h = pair % heads;
            const Pair a = pair_of(q_source, kv_source, l, b, h);
            const float* p = p_data + pair * queries * keys;
            const float* go = go_data + b * queries * width + h * hd;
            float* gq = gq_data + b * queries * gq_stride + l.q_column + h * hd;
            float* gkv = gkv_data + b * keys * gkv_stride + h * hd;
            if (blas)
                backward_pair_blas(a, hd, p, go, width, d_scores.data(), gq, gq_stride, gkv + l.k_column,
                                   gkv + l.v_column, gkv_stride);
            else
                backward_pair(a, hd, p, go, width, values_t.data(), d_scores.data(), gq, gq_stride, gkv + l.k_column,
                              gkv + l.v_column, gkv_stride);
        }
    });
}

}  // namespace sm4
