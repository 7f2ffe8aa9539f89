#include "model/gating_kernels.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/fast_math.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr std::int64_t kChunk = 512;  // tokens per block of work (and per partial sum)
constexpr double kMinStd = 1e-2;      // as in routing.cpp
constexpr double kInvSqrt2Pi = 0.3989422804014327;

// ATen's topk puts NaN above every number; so does this.
template <typename T>
bool above(T a, T b) {
    return (std::isnan(a) && !std::isnan(b)) || a > b;
}

std::vector<std::int64_t> chunks_of(std::int64_t tokens) {
    std::vector<std::int64_t> chunks;
    for (std::int64_t c = 0; c * kChunk < tokens; ++c) chunks.push_back(c);
    return chunks;
}

// A [tokens, columns] tensor seen row by row (any row stride, unit column stride).
template <typename T>
struct Rows {
    T* data;
    std::int64_t stride;
    T* operator[](std::int64_t t) const { return data + t * stride; }
};

template <typename T>
Rows<T> rows_of(const at::Tensor& t) {
    return {t.data_ptr<T>(), t.stride(0)};
}

// Everything forward computes; backward gets all of it back from the context.
struct GatingTensors {
    at::Tensor x, weight;               // inputs: [tokens, d] and [2 * experts, d] (gate rows, then noise rows)
    at::Tensor both;                    // x weight^T [tokens, 2 * experts]: clean logits, then raw noise
    at::Tensor clean, raw_noise;        // both's two halves
    at::Tensor eps;                     // input, [tokens, experts]
    at::Tensor noise_std, sigmoid;      // softplus(raw_noise) + 0.01 and its derivative
    at::Tensor logits;                  // clean + eps * noise_std
    at::Tensor z;                       // the load estimator's argument (clean - bar) / std
    at::Tensor best;                    // [tokens, k + 1] int64: the k + 1 best noisy logits' experts
    at::Tensor weights, probabilities;  // [tokens, k], [tokens, experts]
    at::Tensor importance, load, logsumexp;
    at::Tensor entropy;                 // [tokens] double: of the clean softmax, in nats
};

GatingTensors allocate(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& eps, std::int64_t k) {
    const std::int64_t tokens = x.size(0), experts = weight.size(0) / 2;
    const auto options = x.options();
    GatingTensors g;
    g.x = x;
    g.weight = weight;
    g.both = at::empty({tokens, 2 * experts}, options);
    g.clean = g.both.narrow(1, 0, experts);
    g.raw_noise = g.both.narrow(1, experts, experts);
    g.eps = eps.contiguous();
    g.noise_std = at::empty({tokens, experts}, options);
    g.sigmoid = at::empty({tokens, experts}, options);
    g.logits = at::empty({tokens, experts}, options);
    g.z = at::empty({tokens, experts}, options);
    g.best = at::empty({tokens, k + 1}, options.dtype(at::kLong));
    g.weights = at::empty({tokens, k}, options);
    g.probabilities = at::empty({tokens, experts}, options);
    g.importance = at::empty({experts}, options);
    g.load = at::empty({experts}, options);
    g.logsumexp = at::empty({tokens}, options);
    g.entropy = at::empty({tokens}, options.dtype(at::kDouble));
    return g;
}

// The `take` largest of v[0..n) into top/best, largest first; equal values keep the lower index
// first. `keys` is scratch of n entries (used by the float version only).
template <typename T>
void select_best(const T* v, std::int64_t n, std::int64_t take, T* top, std::int64_t* best, std::int64_t* /*keys*/) {
    std::int64_t found = 0;
    for (std::int64_t j = 0; j < n; ++j) {
        std::int64_t at = found;
        while (at > 0 && above(v[j], top[at - 1])) --at;
        if (at >= take) continue;
        for (std::int64_t m = std::min(found, take - 1); m > at; --m) {
            top[m] = top[m - 1];
            best[m] = best[m - 1];
        }
        top[at] = v[j];
        best[at] = j;
        found = std::min(found + 1, take);
    }
}

// The same for float without a branch per element: each value becomes one int64 key that orders
// as (value, -index) do, NaN above everything as in ATen's topk and -0 equal to +0; then `take`
// maxima of the keys, each found by a vectorised reduction, the index read back from the key.
SM4_INLINE void select_best(const float* __restrict v, std::int64_t n, std::int64_t take, float* __restrict top,
                            std::int64_t* __restrict best, std::int64_t* __restrict keys) {
    constexpr std::int64_t kLow = 0xFFFFFFFF;
    for (std::int64_t j = 0; j < n; ++j) {
        const std::int32_t bits = fast::float_to_bits(v[j] + 0.0f);  // + 0: -0 becomes +0
        std::int32_t order = bits ^ ((bits >> 31) & 0x7FFFFFFF);      // integer order = float order
        order = v[j] != v[j] ? std::numeric_limits<std::int32_t>::max() : order;
        keys[j] = static_cast<std::int64_t>(order) * (kLow + 1) + (kLow - j);
    }
    for (std::int64_t i = 0; i < take; ++i) {
        std::int64_t peak = std::numeric_limits<std::int64_t>::min();
        for (std::int64_t j = 0; j < n; ++j) peak = keys[j] > peak ? keys[j] : peak;
        const std::int64_t j = kLow - (peak & kLow);
        best[i] = j;
        top[i] = v[j];
        keys[j] = std::numeric_limits<std::int64_t>::min();
    }
}

// Row kernels: __restrict parameters let GCC vectorise (too many possibly aliasing pointers
// otherwise exceed its run-time alias checks).

// std = softplus(raw) + 0.01 (and its derivative, the sigmoid) without overflow; noisy logits.
template <typename T>
void noisy_logits(const T* __restrict raw_noise, const T* __restrict clean, const T* __restrict eps, T* __restrict std_out,
                  T* __restrict sigmoid_out, T* __restrict logits, std::int64_t experts) {
    for (std::int64_t j = 0; j < experts; ++j) {
        const float raw = static_cast<float>(raw_noise[j]);
        const float small = fast::exp(raw < 0 ? raw : -raw);
        const float positive = raw > 0 ? raw : 0.0f;
        const float std_j = positive + fast::log1p_unit(small) + float(kMinStd);
        std_out[j] = std_j;
        sigmoid_out[j] = (raw >= 0 ? 1.0f : small) / (1.0f + small);
        logits[j] = clean[j] + eps[j] * std_j;
    }
}

// P(expert j stays in the top k when only its own noise is redrawn): z = (clean - bar) / std,
// the bar being the k+1-th noisy logit for experts above it, the k-th for the others.
template <typename T>
void load_terms(const T* __restrict clean, const T* __restrict logits, const T* __restrict noise_std, T bar_inside,
                T bar_outside, T* __restrict z, double* __restrict load, std::int64_t experts) {
    for (std::int64_t j = 0; j < experts; ++j) {
        const T bar = logits[j] > bar_inside ? bar_inside : bar_outside;
        z[j] = (clean[j] - bar) / noise_std[j];
        load[j] += 0.5 * (1.0 + static_cast<double>(fast::erf(static_cast<float>(z[j]) * float(M_SQRT1_2))));
    }
}

// What a chunk of the forward reads and writes: the rows of every [tokens, *] tensor.
template <typename T>
struct ForwardRows {
    std::int64_t tokens, experts, k;
    Rows<T> clean, noise, eps, noise_std, sigmoid, z, probabilities, weights, logits;
    Rows<std::int64_t> best;
    T* logsumexp;
    double* entropy;
    double* partial;  // per chunk: importance, then load, [chunks, 2, experts]
};

template <typename T>
SM4_INLINE void forward_chunk(const ForwardRows<T>& r, std::int64_t chunk) {
    const std::int64_t experts = r.experts, k = r.k;
    double* importance = r.partial + chunk * 2 * experts;
    double* load = importance + experts;
    std::vector<T> top(static_cast<std::size_t>(k + 1));
    std::vector<std::int64_t> keys(static_cast<std::size_t>(experts));
    for (std::int64_t t = chunk * kChunk, end = std::min(r.tokens, t + kChunk); t < end; ++t) {
        const T *c = r.clean[t], *n = r.noise[t], *e = r.eps[t];
        T *sd = r.noise_std[t], *sg = r.sigmoid[t], *p = r.probabilities[t], *w = r.weights[t], *zt = r.z[t];
        T* logits = r.logits[t];
        std::int64_t* best = r.best[t];
        noisy_logits(n, c, e, sd, sg, logits, experts);
        select_best(logits, experts, k + 1, top.data(), best, keys.data());
        T total = 0;
        for (std::int64_t j = 0; j < k; ++j) total += (w[j] = fast::exp(static_cast<float>(top[j] - top[0])));
        for (std::int64_t j = 0; j < k; ++j) importance[best[j]] += static_cast<double>(w[j] /= total);
        T peak = c[0];
        for (std::int64_t j = 1; j < experts; ++j) peak = c[j] > peak ? c[j] : peak;
        T sum = 0;
        for (std::int64_t j = 0; j < experts; ++j) sum += (p[j] = fast::exp(static_cast<float>(c[j] - peak)));
        const T inverse = T(1) / sum;
        for (std::int64_t j = 0; j < experts; ++j) p[j] *= inverse;
        r.logsumexp[t] = peak + std::log(sum);
        // The routing entropy -sum p log p, as logsumexp - sum p c: no log per expert.
        double expected = 0;
        for (std::int64_t j = 0; j < experts; ++j) expected += static_cast<double>(p[j]) * static_cast<double>(c[j]);
        r.entropy[t] = static_cast<double>(peak) + std::log(static_cast<double>(sum)) - expected;
        // P(expert j stays in the top k when only its own noise is redrawn): the bar is the
        // k+1-th noisy logit for experts above it, the k-th for the others.
        const T bar_inside = top[k], bar_outside = top[k - 1];
        load_terms(c, logits, sd, bar_inside, bar_outside, zt, load, experts);
    }
}

SM4_VECTOR_CLONES void forward_chunk_of(const ForwardRows<float>& r, std::int64_t chunk) { forward_chunk(r, chunk); }
SM4_VECTOR_CLONES void forward_chunk_of(const ForwardRows<double>& r, std::int64_t chunk) { forward_chunk(r, chunk); }

// The chunk's rows of x weight^T, then its gating: the logits are still in cache when read.
template <typename T>
void gating_forward(std::int64_t k, GatingTensors& g) {
    const std::int64_t tokens = g.clean.size(0), experts = g.clean.size(1);
    const at::Tensor weight_t = g.weight.t();
    const auto chunks = chunks_of(tokens);
    std::vector<double> partial(chunks.size() * 2 * static_cast<std::size_t>(experts), 0.0);
    const ForwardRows<T> rows{tokens, experts, k, rows_of<T>(g.clean), rows_of<T>(g.raw_noise), rows_of<T>(g.eps),
                              rows_of<T>(g.noise_std), rows_of<T>(g.sigmoid), rows_of<T>(g.z), rows_of<T>(g.probabilities),
                              rows_of<T>(g.weights), rows_of<T>(g.logits), rows_of<std::int64_t>(g.best),
                              g.logsumexp.data_ptr<T>(), g.entropy.data_ptr<double>(), partial.data()};
    run_blocks(chunks, [&](std::int64_t chunk) {
        const std::int64_t start = chunk * kChunk, n = std::min(tokens - start, kChunk);
        at::Tensor both = g.both.narrow(0, start, n);
        at::mm_out(both, g.x.narrow(0, start, n), weight_t);
        forward_chunk_of(rows, chunk);
    });
    // The chunks' sums added in chunk order: the same on any thread count.
    T *importance = g.importance.data_ptr<T>(), *load = g.load.data_ptr<T>();
    for (std::int64_t j = 0; j < experts; ++j) {
        double a = 0, b = 0;
        for (std::size_t c = 0; c < chunks.size(); ++c) {
            a += partial[c * 2 * experts + j];
            b += partial[c * 2 * experts + experts + j];
        }
        importance[j] = static_cast<T>(a);
        load[j] = static_cast<T>(b);
    }
}

// Incoming gradients; undefined ones (outputs that reached no loss) count as zero.
struct GatingGrads {
    at::Tensor weights, importance, load, logsumexp;
};

template <typename T>
const T* data_or_null(const at::Tensor& t) {
    return t.defined() ? t.data_ptr<T>() : nullptr;
}

// The backward of load_terms and of logsumexp (d_lse * p) for one token: grad_clean, the
// gradient of std (completed by the caller) and the bars' gradients.
template <typename T>
void load_backward(const T* __restrict grad_load, const T* __restrict p, T d_lse, const T* __restrict logits, T bar_inside,
                   const T* __restrict z, const T* __restrict noise_std, T* __restrict grad_clean, T* __restrict grad_std,
                   T& d_inside, T& d_outside, std::int64_t experts) {
    if (grad_load == nullptr) {
        for (std::int64_t j = 0; j < experts; ++j) {
            grad_clean[j] = d_lse * p[j];
            grad_std[j] = 0;
        }
        return;
    }
    T inside_sum = 0, outside_sum = 0;
    for (std::int64_t j = 0; j < experts; ++j) {
        const T d_z = grad_load[j] * T(kInvSqrt2Pi) * fast::exp(-0.5f * static_cast<float>(z[j] * z[j])) / noise_std[j];
        grad_clean[j] = d_lse * p[j] + d_z;
        grad_std[j] = -d_z * z[j];
        const bool inside = logits[j] > bar_inside;
        inside_sum -= inside ? d_z : T(0);
        outside_sum -= inside ? T(0) : d_z;
    }
    d_inside += inside_sum;
    d_outside += outside_sum;
}

// What a chunk of the backward reads and writes.
template <typename T>
struct BackwardRows {
    std::int64_t tokens, experts, k;
    const T *grad_weights, *grad_importance, *grad_load, *grad_logsumexp;  // null: no gradient
    Rows<T> logits, eps, noise_std, sigmoid, z, probabilities, weights;
    Rows<std::int64_t> best;
    Rows<T> grad_clean, grad_noise;
};

template <typename T>
SM4_INLINE void backward_chunk(const BackwardRows<T>& r, std::int64_t chunk) {
    const std::int64_t experts = r.experts, k = r.k;
    const T *gw = r.grad_weights, *gi = r.grad_importance, *gz = r.grad_logsumexp;
    std::vector<T> d_logit(static_cast<std::size_t>(experts)), d_weight(static_cast<std::size_t>(k));
    for (std::int64_t t = chunk * kChunk, end = std::min(r.tokens, t + kChunk); t < end; ++t) {
        const T *logits = r.logits[t], *e = r.eps[t], *sd = r.noise_std[t], *sg = r.sigmoid[t], *zt = r.z[t];
        const T *p = r.probabilities[t], *w = r.weights[t];
        const std::int64_t* best = r.best[t];
        T *dc = r.grad_clean[t], *dn = r.grad_noise[t];
        for (std::int64_t j = 0; j < experts; ++j) d_logit[j] = 0;
        // Gate weights (and importance, their per-expert sum) through the softmax of the k best.
        T dot = 0;
        for (std::int64_t j = 0; j < k; ++j) {
            d_weight[j] = (gw ? gw[t * k + j] : T(0)) + (gi ? gi[best[j]] : T(0));
            dot += w[j] * d_weight[j];
        }
        for (std::int64_t j = 0; j < k; ++j) d_logit[best[j]] += w[j] * (d_weight[j] - dot);
        // Load: Phi(z), z = (clean - bar) / std, where bar is the noisy logit of expert
        // best[k] (for experts above it) or best[k - 1]; the forward's choice is redone.
        const T bar_inside = logits[best[k]];
        const T d_lse = gz ? gz[t] : T(0);
        T d_inside = 0, d_outside = 0;
        load_backward(r.grad_load, p, d_lse, logits, bar_inside, zt, sd, dc, dn, d_inside, d_outside, experts);
        d_logit[best[k]] += d_inside;
        d_logit[best[k - 1]] += d_outside;
        // logits = clean + eps * std, std = softplus(raw_noise) + 0.01.
        for (std::int64_t j = 0; j < experts; ++j) {
            dc[j] += d_logit[j];
            dn[j] = (dn[j] + d_logit[j] * e[j]) * sg[j];
        }
    }
}

SM4_VECTOR_CLONES void backward_chunk_of(const BackwardRows<float>& r, std::int64_t chunk) { backward_chunk(r, chunk); }
SM4_VECTOR_CLONES void backward_chunk_of(const BackwardRows<double>& r, std::int64_t chunk) { backward_chunk(r, chunk); }

// Per chunk: the gradients of its clean logits and raw noise, then of its rows of x
// (grad_both weight) and its share of weight's gradient (grad_both^T x), the shares added in
// chunk order after the region.
template <typename T>
void gating_backward(const GatingTensors& g, const GatingGrads& in, at::Tensor& grad_x, at::Tensor& grad_weight) {
    const std::int64_t tokens = g.logits.size(0), experts = g.logits.size(1), k = g.weights.size(1);
    const at::Tensor grad_both = at::empty({tokens, 2 * experts}, g.logits.options());
    const BackwardRows<T> rows{tokens, experts, k, data_or_null<T>(in.weights), data_or_null<T>(in.importance),
                               data_or_null<T>(in.load), data_or_null<T>(in.logsumexp), rows_of<T>(g.logits),
                               rows_of<T>(g.eps), rows_of<T>(g.noise_std), rows_of<T>(g.sigmoid), rows_of<T>(g.z),
                               rows_of<T>(g.probabilities), rows_of<T>(g.weights), rows_of<std::int64_t>(g.best),
                               rows_of<T>(grad_both.narrow(1, 0, experts)), rows_of<T>(grad_both.narrow(1, experts, experts))};
    const auto chunks = chunks_of(tokens);
    at::Tensor shares;
    if (grad_weight.defined()) shares = at::empty({static_cast<std::int64_t>(chunks.size()), 2 * experts, g.x.size(1)}, g.x.options());
    run_blocks(chunks, [&](std::int64_t chunk) {
        backward_chunk_of(rows, chunk);
        const std::int64_t start = chunk * kChunk, n = std::min(tokens - start, kChunk);
        const at::Tensor grad_rows = grad_both.narrow(0, start, n);
        if (grad_x.defined()) {
            at::Tensor out = grad_x.narrow(0, start, n);
            at::mm_out(out, grad_rows, g.weight);
        }
        if (shares.defined()) {
            at::Tensor share = shares[chunk];
            at::mm_out(share, grad_rows.t(), g.x.narrow(0, start, n));
        }
    });
    if (grad_weight.defined()) at::sum_out(grad_weight, shares, std::vector<std::int64_t>{0});
}

struct NoisyGatingFunction : public torch::autograd::Function<NoisyGatingFunction> {
    static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                                 const at::Tensor& eps, std::int64_t k) {
        GatingTensors g = allocate(x, weight, eps, k);
        AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "noisy_top_k_gating", [&] { gating_forward<scalar_t>(k, g); });
        // Through save_for_backward, never saved_data: weights and probabilities are outputs, and
        // an output kept in saved_data holds its own grad_fn, a cycle that leaks the whole graph.
        ctx->save_for_backward(
            {x, weight, g.logits, g.eps, g.noise_std, g.sigmoid, g.z, g.best, g.weights, g.probabilities});
        at::Tensor indices = g.best.narrow(1, 0, k).contiguous();
        ctx->mark_non_differentiable({indices, g.probabilities, g.entropy});
        return {g.weights, g.importance, g.load, g.logsumexp, indices, g.probabilities, g.entropy};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        GatingTensors g;
        g.x = saved[0];
        g.weight = saved[1];
        g.logits = saved[2];
        g.eps = saved[3];
        g.noise_std = saved[4];
        g.sigmoid = saved[5];
        g.z = saved[6];
        g.best = saved[7];
        g.weights = saved[8];
        g.probabilities = saved[9];
        const auto contiguous = [](const at::Tensor& t) { return t.defined() ? t.contiguous() : t; };
        const GatingGrads in{contiguous(grads[0]), contiguous(grads[1]), contiguous(grads[2]), contiguous(grads[3])};
        at::Tensor grad_x = ctx->needs_input_grad(0) ? at::empty_like(g.x) : at::Tensor();
        at::Tensor grad_weight = ctx->needs_input_grad(1) ? at::empty_like(g.weight) : at::Tensor();
        AT_DISPATCH_FLOATING_TYPES(g.logits.scalar_type(), "noisy_top_k_gating_backward",
                                   [&] { gating_backward<scalar_t>(g, in, grad_x, grad_weight); });
        return {grad_x, grad_weight, at::Tensor(), at::Tensor()};
    }
};

}  // namespace

bool fused_gating_applies(const at::Tensor& x) {
    return x.device().is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble);
}

NoisyGating noisy_top_k_gating(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& eps, std::int64_t k) {
    const variable_list out = NoisyGatingFunction::apply(x.contiguous(), weight.contiguous(), eps, k);
    return {out[4], out[0], out[5], out[1], out[2], out[3], out[6]};
}

}  // namespace sm4
