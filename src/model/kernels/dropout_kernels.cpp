#include "model/kernels/dropout_kernels.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "model/kernels/fast_math.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

// Element i is dropped when a 32-bit hash of (seed, i) falls below threshold = p * 2^32
// (MurmurHash3's finaliser over the index mixed with the seed's halves).
SM4_INLINE std::uint32_t element_hash(std::uint64_t seed, std::int64_t i) {
    std::uint32_t h = static_cast<std::uint32_t>(i) ^ static_cast<std::uint32_t>(seed);
    h *= 0x9E3779B1u;
    h ^= static_cast<std::uint32_t>(seed >> 32);
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

SM4_VECTOR_CLONES void forward_range(const float* x, const float* y, float* out, std::int64_t begin, std::int64_t end,
                                     std::uint64_t seed, std::uint32_t threshold, float scale) {
    for (std::int64_t i = begin; i < end; ++i) {
        const float kept = element_hash(seed, i) >= threshold ? scale : 0.0f;
        out[i] = x[i] + y[i] * kept;
    }
}

SM4_VECTOR_CLONES void backward_range(const float* grad, float* out, std::int64_t begin, std::int64_t end,
                                      std::uint64_t seed, std::uint32_t threshold, float scale) {
    for (std::int64_t i = begin; i < end; ++i) out[i] = grad[i] * (element_hash(seed, i) >= threshold ? scale : 0.0f);
}

std::uint32_t threshold_of(double p) {
    return static_cast<std::uint32_t>(std::min(std::ldexp(p, 32), 4294967295.0));
}

constexpr std::int64_t kGrain = 32768;

}  // namespace

bool dropout_kernels_apply(const at::Tensor& x, const at::Tensor& y) {
    for (const at::Tensor* t : {&x, &y})
        if (!t->device().is_cpu() || t->scalar_type() != at::kFloat || !t->is_contiguous()) return false;
    return x.sizes() == y.sizes();
}

at::Tensor residual_dropout_forward(const at::Tensor& x, const at::Tensor& y, const DropoutDraw& draw) {
    at::Tensor out = at::empty_like(x);
    const float* xd = x.data_ptr<float>();
    const float* yd = y.data_ptr<float>();
    float* od = out.data_ptr<float>();
    const std::uint32_t threshold = threshold_of(draw.p);
    const auto scale = static_cast<float>(1.0 / (1.0 - draw.p));
    parallel_ranges(x.numel(), kGrain, [&](std::int64_t begin, std::int64_t end) {
        forward_range(xd, yd, od, begin, end, draw.seed, threshold, scale);
    });
    return out;
}

at::Tensor dropout_backward(const at::Tensor& grad, const DropoutDraw& draw) {
    const at::Tensor g = grad.contiguous();
    at::Tensor out = at::empty_like(g);
    const float* gd = g.data_ptr<float>();
    float* od = out.data_ptr<float>();
    const std::uint32_t threshold = threshold_of(draw.p);
    const auto scale = static_cast<float>(1.0 / (1.0 - draw.p));
    parallel_ranges(g.numel(), kGrain, [&](std::int64_t begin, std::int64_t end) {
        backward_range(gd, od, begin, end, draw.seed, threshold, scale);
    });
    return out;
}

}  // namespace sm4
