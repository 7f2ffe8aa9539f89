#include "model/kernels/gating_kernels.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "model/kernels/fast_math.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr std::int64_t kChunk = 512;  // tokens per block of work (and per partial sum)
constexpr double kMinStd = 1e-2;      // as in model/moe/top_k_gating.cpp
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

// A [tokens, columns] tensor seen row by row (any row stride, unit column stride); null when
// the tensor is undefined.
template <typename T>
struct Rows {
    T* data = nullptr;
    std::int64_t stride = 0;
    T* operator[](std::int64_t t) const { return data + t * stride; }
};

template <typename T>
Rows<T> rows_of(const at::Tensor& t) {
    if (!t.defined()) return {};
    return {t.data_ptr<std::remove_const_t<T>>(), t.stride(0)};
}

template <typename T>
const T* data_or_null(const at::Tensor& t) {
    return t.defined() ? t.data_ptr<T>() : nullptr;
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

// p = softmax(v); returns (max, sum of exp(v - max)).
template <typename T>
std::pair<T, T> softmax_into(const T* __restrict v, T* __restrict p, std::int64_t experts) {
    T peak = v[0];
    for (std::int64_t j = 1; j < experts; ++j) peak = v[j] > peak ? v[j] : peak;
    T sum = 0;
    for (std::int64_t j = 0; j < experts; ++j) sum += (p[j] = fast::exp(static_cast<float>(v[j] - peak)));
    const T inverse = T(1) / sum;
    for (std::int64_t j = 0; j < experts; ++j) p[j] *= inverse;
    return {peak, sum};
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

// Everything forward computes; backward gets the saved part back from the context.
struct GatingTensors {
    at::Tensor logits_in;              // the input: clean logits (then raw noise when noisy)
    at::Tensor eps, k, router;         // inputs
    at::Tensor noisy, noise_std, sigmoid, z;  // [tokens, experts], noisy only
    at::Tensor noisy_probabilities;    // softmax of the noisy logits, noisy and not renormalised only
    at::Tensor best;                   // [tokens, k_max + 1] int64: the k + 1 best noisy logits' experts
    at::Tensor indices, weights, probabilities;
    at::Tensor importance, load, logsumexp, entropy;
};

GatingTensors allocate(const GatingInput& in) {
    const std::int64_t tokens = in.logits.size(0);
    const bool noisy = in.eps.defined();
    const std::int64_t experts = noisy ? in.logits.size(1) / 2 : in.logits.size(1);
    const auto options = in.logits.options();
    GatingTensors g;
    g.logits_in = in.logits;
    g.eps = noisy ? in.eps.contiguous() : at::Tensor();
    g.k = in.k.contiguous();
    g.router = in.router.defined() ? in.router.contiguous() : at::Tensor();
    if (noisy) {
        g.noisy = at::empty({tokens, experts}, options);
        g.noise_std = at::empty({tokens, experts}, options);
        g.sigmoid = at::empty({tokens, experts}, options);
        g.z = at::empty({tokens, experts}, options);
        if (!in.renormalize) g.noisy_probabilities = at::empty({tokens, experts}, options);
    }
    g.best = at::empty({tokens, in.k_max + 1}, options.dtype(at::kLong));
    g.indices = at::empty({tokens, in.k_max}, options.dtype(at::kLong));
    g.weights = at::empty({tokens, in.k_max}, options);
    g.probabilities = at::empty({tokens, experts}, options);
    g.importance = at::empty({in.routers, experts}, options);
    g.load = at::empty({in.routers, experts}, options);
    g.logsumexp = at::empty({tokens}, options);
    g.entropy = at::empty({tokens}, options.dtype(at::kDouble));
    return g;
}

// What a chunk of the forward reads and writes.
template <typename T>
struct ForwardRows {
    std::int64_t tokens, experts, k_max, routers;
    bool renormalize;
    Rows<const T> clean, raw, eps;
    Rows<T> noisy, noise_std, sigmoid, z, noisy_p, probabilities, weights;
    Rows<std::int64_t> best, indices;
    const std::int64_t *k, *router;
    T* logsumexp;
    double* entropy;
    double* partial;  // per chunk and router: importance, then load, [chunks, routers, 2, experts]
};

template <typename T>
SM4_INLINE void forward_chunk(const ForwardRows<T>& r, std::int64_t chunk) {
    const std::int64_t experts = r.experts;
    const bool noisy = r.noisy.data != nullptr;
    std::vector<T> top(static_cast<std::size_t>(r.k_max + 1));
    std::vector<std::int64_t> keys(static_cast<std::size_t>(experts));
    double* chunk_partial = r.partial + chunk * r.routers * 2 * experts;
    for (std::int64_t t = chunk * kChunk, end = std::min(r.tokens, t + kChunk); t < end; ++t) {
        const std::int64_t k = r.k[t], take = std::min(k + 1, experts);
        double* importance = chunk_partial + (r.router ? r.router[t] : 0) * 2 * experts;
        double* load = importance + experts;
        const T* c = r.clean[t];
        T* p = r.probabilities[t];
        const T* logits = c;
        if (noisy) {
            noisy_logits(r.raw[t], c, r.eps[t], r.noise_std[t], r.sigmoid[t], r.noisy[t], experts);
            logits = r.noisy[t];
        }
        std::int64_t* best = r.best[t];
        select_best(logits, experts, take, top.data(), best, keys.data());
        // The clean softmax: routing statistics, the z-loss, and (without noise) the gates.
        const auto [peak, sum] = softmax_into(c, p, experts);
        r.logsumexp[t] = peak + std::log(sum);
        double expected = 0;  // the entropy -sum p log p as logsumexp - sum p c: no log per expert
        for (std::int64_t j = 0; j < experts; ++j) expected += static_cast<double>(p[j]) * static_cast<double>(c[j]);
        r.entropy[t] = static_cast<double>(peak) + std::log(static_cast<double>(sum)) - expected;
        T* w = r.weights[t];
        std::int64_t* chosen = r.indices[t];
        if (r.renormalize) {
            T total = 0;
            for (std::int64_t i = 0; i < k; ++i) total += (w[i] = fast::exp(static_cast<float>(top[i] - top[0])));
            for (std::int64_t i = 0; i < k; ++i) w[i] /= total;
        } else {
            const T* full = p;  // Eq. 1-2: the chosen entries of the softmax over every expert
            if (noisy) {
                softmax_into(logits, r.noisy_p[t], experts);
                full = r.noisy_p[t];
            }
            for (std::int64_t i = 0; i < k; ++i) w[i] = full[best[i]];
        }
        for (std::int64_t i = 0; i < k; ++i) {
            chosen[i] = best[i];
            importance[best[i]] += static_cast<double>(w[i]);
        }
        for (std::int64_t i = k; i < r.k_max; ++i) {
            chosen[i] = -1;
            w[i] = 0;
        }
        if (noisy && k < experts) {
            load_terms(c, logits, static_cast<const T*>(r.noise_std[t]), top[k], top[k - 1], r.z[t], load, experts);
        } else {
            for (std::int64_t i = 0; i < k; ++i) load[best[i]] += 1.0;
        }
    }
}

SM4_VECTOR_CLONES void forward_chunk_of(const ForwardRows<float>& r, std::int64_t chunk) { forward_chunk(r, chunk); }
SM4_VECTOR_CLONES void forward_chunk_of(const ForwardRows<double>& r, std::int64_t chunk) { forward_chunk(r, chunk); }

template <typename T>
void gating_forward(const GatingInput& in, GatingTensors& g) {
    const std::int64_t tokens = g.probabilities.size(0), experts = g.probabilities.size(1);
    const bool noisy = g.noisy.defined();
    const at::Tensor clean = g.logits_in.narrow(1, 0, experts);
    const at::Tensor raw = noisy ? g.logits_in.narrow(1, experts, experts) : at::Tensor();
    const auto chunks = chunks_of(tokens);
    std::vector<double> partial(chunks.size() * static_cast<std::size_t>(in.routers * 2 * experts), 0.0);
    const ForwardRows<T> rows{tokens,
                              experts,
                              in.k_max,
                              in.routers,
                              in.renormalize,
                              rows_of<const T>(clean),
                              rows_of<const T>(raw),
                              rows_of<const T>(g.eps),
                              rows_of<T>(g.noisy),
                              rows_of<T>(g.noise_std),
                              rows_of<T>(g.sigmoid),
                              rows_of<T>(g.z),
                              rows_of<T>(g.noisy_probabilities),
                              rows_of<T>(g.probabilities),
                              rows_of<T>(g.weights),
                              rows_of<std::int64_t>(g.best),
                              rows_of<std::int64_t>(g.indices),
                              g.k.data_ptr<std::int64_t>(),
                              data_or_null<std::int64_t>(g.router),
                              g.logsumexp.data_ptr<T>(),
                              g.entropy.data_ptr<double>(),
                              partial.data()};
    run_blocks(chunks, [&](std::int64_t chunk) { forward_chunk_of(rows, chunk); });
    // The chunks' sums added in chunk order: the same on any thread count.
    T *importance = g.importance.data_ptr<T>(), *load = g.load.data_ptr<T>();
    const std::size_t per_chunk = static_cast<std::size_t>(in.routers * 2 * experts);
    for (std::int64_t r = 0; r < in.routers; ++r)
        for (std::int64_t j = 0; j < experts; ++j) {
            double a = 0, b = 0;
            for (std::size_t c = 0; c < chunks.size(); ++c) {
                a += partial[c * per_chunk + static_cast<std::size_t>(r * 2 * experts + j)];
                b += partial[c * per_chunk + static_cast<std::size_t>(r * 2 * experts + experts + j)];
            }
            importance[r * experts + j] = static_cast<T>(a);
            load[r * experts + j] = static_cast<T>(b);
        }
}

// What a chunk of the backward reads and writes.
template <typename T>
struct BackwardRows {
    std::int64_t tokens, experts, k_max, routers;
    bool renormalize;
    const T *grad_weights, *grad_importance, *grad_load, *grad_logsumexp;  // null: no gradient
    Rows<const T> eps, noisy, noise_std, sigmoid, z, noisy_p, probabilities, weights;
    Rows<const std::int64_t> best;
    const std::int64_t *k, *router;
    Rows<T> grad_clean, grad_raw;
};

// The backward of load_terms for one token: adds d_z's share to grad_clean, the gradient of
// std to grad_std (completed by the caller) and returns the bars' gradients.
template <typename T>
void load_backward(const T* __restrict grad_load, const T* __restrict logits, T bar_inside, const T* __restrict z,
                   const T* __restrict noise_std, T* __restrict grad_clean, T* __restrict grad_std, T& d_inside,
                   T& d_outside, std::int64_t experts) {
    T inside_sum = 0, outside_sum = 0;
    for (std::int64_t j = 0; j < experts; ++j) {
        const T d_z = grad_load[j] * T(kInvSqrt2Pi) * fast::exp(-0.5f * static_cast<float>(z[j] * z[j])) / noise_std[j];
        grad_clean[j] += d_z;
        grad_std[j] = -d_z * z[j];
        const bool inside = logits[j] > bar_inside;
        inside_sum -= inside ? d_z : T(0);
        outside_sum -= inside ? T(0) : d_z;
    }
    d_inside += inside_sum;
    d_outside += outside_sum;
}

template <typename T>
SM4_INLINE void backward_chunk(const BackwardRows<T>& r, std::int64_t chunk) {
    const std::int64_t experts = r.experts;
    const bool noisy = r.noisy.data != nullptr;
    const T *gw = r.grad_weights, *gi = r.grad_importance, *gl = r.grad_load, *gz = r.grad_logsumexp;
    std::vector<T> d_logit(static_cast<std::size_t>(experts)), d_weight(static_cast<std::size_t>(r.k_max));
    std::vector<T> d_std(static_cast<std::size_t>(experts));
    for (std::int64_t t = chunk * kChunk, end = std::min(r.tokens, t + kChunk); t < end; ++t) {
        const std::int64_t k = r.k[t], router = r.router ? r.router[t] : 0;
        const std::int64_t* best = r.best[t];
        const T *p = r.probabilities[t], *w = r.weights[t];
        T* dc = r.grad_clean[t];
        // Gate weights (and importance, their per-router, per-expert sum).
        T dot = 0;
        for (std::int64_t i = 0; i < k; ++i) {
            d_weight[i] = (gw ? gw[t * r.k_max + i] : T(0)) + (gi ? gi[router * experts + best[i]] : T(0));
            dot += w[i] * d_weight[i];
        }
        if (r.renormalize) {
            for (std::int64_t j = 0; j < experts; ++j) d_logit[j] = 0;
            for (std::int64_t i = 0; i < k; ++i) d_logit[best[i]] += w[i] * (d_weight[i] - dot);
        } else {
            // w_i = P[best_i] of the full softmax P: dl_j = P_j ([j chosen] dw_j - sum_i w_i dw_i).
            const T* full = noisy ? r.noisy_p[t] : p;
            for (std::int64_t j = 0; j < experts; ++j) d_logit[j] = -full[j] * dot;
            for (std::int64_t i = 0; i < k; ++i) d_logit[best[i]] += w[i] * d_weight[i];
        }
        const T d_lse = gz ? gz[t] : T(0);
        for (std::int64_t j = 0; j < experts; ++j) dc[j] = d_lse * p[j];
        if (!noisy) {
            for (std::int64_t j = 0; j < experts; ++j) dc[j] += d_logit[j];
            continue;
        }
        for (std::int64_t j = 0; j < experts; ++j) d_std[j] = 0;
        if (gl && k < experts) {
            // Load: Phi(z), z = (clean - bar) / std, the bar being the noisy logit of expert
            // best[k] (for experts above it) or best[k - 1]; the forward's choice is redone.
            const T* logits = r.noisy[t];
            T d_inside = 0, d_outside = 0;
            load_backward(gl + router * experts, logits, logits[best[k]], r.z[t], r.noise_std[t], dc, d_std.data(),
                          d_inside, d_outside, experts);
            d_logit[best[k]] += d_inside;
            d_logit[best[k - 1]] += d_outside;
        }
        // logits = clean + eps * std, std = softplus(raw_noise) + 0.01.
        const T *e = r.eps[t], *sg = r.sigmoid[t];
        T* dn = r.grad_raw[t];
        for (std::int64_t j = 0; j < experts; ++j) {
            dc[j] += d_logit[j];
            dn[j] = (d_std[j] + d_logit[j] * e[j]) * sg[j];
        }
    }
}

SM4_VECTOR_CLONES void backward_chunk_of(const BackwardRows<float>& r, std::int64_t chunk) { backward_chunk(r, chunk); }
SM4_VECTOR_CLONES void backward_chunk_of(const BackwardRows<double>& r, std::int64_t chunk) { backward_chunk(r, chunk); }

struct GatingGrads {
    at::Tensor weights, importance, load, logsumexp;  // undefined: no gradient
};

template <typename T>
at::Tensor gating_backward(const GatingTensors& g, const GatingGrads& in, std::int64_t k_max, std::int64_t routers,
                           bool renormalize) {
    const std::int64_t tokens = g.probabilities.size(0), experts = g.probabilities.size(1);
    const bool noisy = g.noisy.defined();
    at::Tensor grad = at::empty({tokens, noisy ? 2 * experts : experts}, g.probabilities.options());
    const BackwardRows<T> rows{tokens,
                               experts,
                               k_max,
                               routers,
                               renormalize,
                               data_or_null<T>(in.weights),
                               data_or_null<T>(in.importance),
                               data_or_null<T>(in.load),
                               data_or_null<T>(in.logsumexp),
                               rows_of<const T>(g.eps),
                               rows_of<const T>(g.noisy),
                               rows_of<const T>(g.noise_std),
                               rows_of<const T>(g.sigmoid),
                               rows_of<const T>(g.z),
                               rows_of<const T>(g.noisy_probabilities),
                               rows_of<const T>(g.probabilities),
                               rows_of<const T>(g.weights),
                               rows_of<const std::int64_t>(g.best),
                               g.k.data_ptr<std::int64_t>(),
                               data_or_null<std::int64_t>(g.router),
                               rows_of<T>(grad.narrow(1, 0, experts)),
                               rows_of<T>(noisy ? grad.narrow(1, experts, experts) : at::Tensor())};
    run_blocks(chunks_of(tokens), [&](std::int64_t chunk) { backward_chunk_of(rows, chunk); });
    return grad;
}

struct TopKGatingFunction : public torch::autograd::Function<TopKGatingFunction> {
    // Autograd's functions take no undefined tensor: an absent eps or router comes as an empty
    // one, `noisy` and `routed` saying which.
    static variable_list forward(AutogradContext* ctx, const at::Tensor& logits, const at::Tensor& eps, const at::Tensor& k,
                                 const at::Tensor& router, std::int64_t k_max, std::int64_t routers, bool renormalize,
                                 bool noisy, bool routed) {
        GatingInput in{logits, noisy ? eps : at::Tensor(), k, k_max, routed ? router : at::Tensor(), routers, renormalize};
        GatingTensors g = allocate(in);
        AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "top_k_gating", [&] { gating_forward<scalar_t>(in, g); });
        // Through save_for_backward, never saved_data: weights and probabilities are outputs, and
        // an output kept in saved_data holds its own grad_fn, a cycle that leaks the whole graph.
        ctx->save_for_backward({g.eps, g.k, g.router, g.noisy, g.noise_std, g.sigmoid, g.z, g.noisy_probabilities, g.best,
                                g.weights, g.probabilities});
        ctx->saved_data["k_max"] = k_max;
        ctx->saved_data["routers"] = routers;
        ctx->saved_data["renormalize"] = renormalize;
        ctx->mark_non_differentiable({g.indices, g.probabilities, g.entropy});
        return {g.weights, g.importance, g.load, g.logsumexp, g.indices, g.probabilities, g.entropy};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const variable_list saved = ctx->get_saved_variables();
        GatingTensors g;
        g.eps = saved[0];
        g.k = saved[1];
        g.router = saved[2];
        g.noisy = saved[3];
        g.noise_std = saved[4];
        g.sigmoid = saved[5];
        g.z = saved[6];
        g.noisy_probabilities = saved[7];
        g.best = saved[8];
        g.weights = saved[9];
        g.probabilities = saved[10];
        const auto contiguous = [](const at::Tensor& t) { return t.defined() ? t.contiguous() : t; };
        const GatingGrads in{contiguous(grads[0]), contiguous(grads[1]), contiguous(grads[2]), contiguous(grads[3])};
        const std::int64_t k_max = ctx->saved_data["k_max"].toInt(), routers = ctx->saved_data["routers"].toInt();
        const bool renormalize = ctx->saved_data["renormalize"].toBool();
        at::Tensor grad;
        AT_DISPATCH_FLOATING_TYPES(g.probabilities.scalar_type(), "top_k_gating_backward",
                                   [&] { grad = gating_backward<scalar_t>(g, in, k_max, routers, renormalize); });
        return {grad, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),
                at::Tensor()};
    }
};

}  // namespace

bool fused_gating_applies(const at::Tensor& logits) {
    return logits.device().is_cpu() && (logits.scalar_type() == at::kFloat || logits.scalar_type() == at::kDouble);
}

Gating fused_top_k_gating(const GatingInput& in) {
    const at::Tensor none = at::empty({0}, in.logits.options());
    const variable_list out = TopKGatingFunction::apply(in.logits.contiguous(), in.eps.defined() ? in.eps : none, in.k,
                                                        in.router.defined() ? in.router : none.to(at::kLong), in.k_max,
                                                        in.routers, in.renormalize, in.eps.defined(), in.router.defined());
    return {out[4], out[0], out[5], out[1], out[2], out[3], out[6]};
}

}  // namespace sm4
