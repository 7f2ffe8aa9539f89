// Float exp, log1p and erf written so the compiler vectorises loops over them (no libm calls,
// no branches): libm's scalar calls made the fused router (gating_kernels.cpp) slower than
// LibTorch's vectorised ops. Accuracy: exp and log1p within a few float ulps (Cephes'
// polynomials), erf within 2e-7 absolute (Abramowitz & Stegun 7.1.26), enough for gate
// probabilities and the load estimator; tests compare against LibTorch's versions.
#pragma once

#include <cstdint>
#include <cstring>

// A hot loop's entry point compiled three times, for AVX-512, for AVX2 with FMA and for baseline
// x86-64 (SSE2), the best the CPU runs picked once at load time (GCC's function multi-versioning);
// `flatten` inlines everything it calls into each version. Elsewhere a plain function. Results
// may differ in the last bits between versions (FMA), never between runs on one machine.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SM4_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), flatten))
#else
#define SM4_VECTOR_CLONES
#endif
#define SM4_INLINE inline __attribute__((always_inline))

namespace sm4::fast {

inline float bits_to_float(std::int32_t i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}

inline std::int32_t float_to_bits(float f) {
    std::int32_t i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}

// e^x; clamped to [e^-87.3, e^88] (never 0 or inf).
inline float exp(float x) {
    x = x < -87.3f ? -87.3f : x;  // two selects, not a nested one: GCC vectorises those
    x = x > 88.0f ? 88.0f : x;
    const float shift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const float n = (x * 1.44269504088896341f + shift) - shift;
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * r * r + r + 1.0f;
    // The exponent field, shifted as unsigned: a NaN x (n converts to INT_MIN) must not make the
    // shift undefined; y is NaN then and so is the result, as with std::exp.
    const auto biased = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127);
    return y * bits_to_float(static_cast<std::int32_t>(biased << 23));
}

// log(1 + y) for y in [0, 1] (what softplus needs): log of u = 1 + y in [1, 2].
inline float log1p_unit(float y) {
    const float u = 1.0f + y;
    // u = m * 2^e with m in [sqrt(1/2), sqrt(2)).
    const bool high = u >= 1.41421356f;
    const float m = high ? u * 0.5f : u;
    const float e = high ? 1.0f : 0.0f;
    // Recover the rounding error of 1 + y (matters for small y).
    const float correction = (y - (u - 1.0f)) / u;
    const float x = m - 1.0f;
    const float z = x * x;
    float p = 7.0376836292e-2f;
    p = p * x - 1.1514610310e-1f;
    p = p * x + 1.1676998740e-1f;
    p = p * x - 1.2420140846e-1f;
    p = p * x + 1.4249322787e-1f;
    p = p * x - 1.6668057665e-1f;
    p = p * x + 2.0000714765e-1f;
    p = p * x - 2.4999993993e-1f;
    p = p * x + 3.3333331174e-1f;
    float r = x * z * p;
    r += -2.12194440e-4f * e;
    r += -0.5f * z;
    return x + r + e * 0.693359375f + correction;
}

// erf(x).
inline float erf(float x) {
    const float a = x < 0 ? -x : x;
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    const float v = 1.0f - poly * exp(-a * a);
    return x < 0 ? -v : v;
}

}  // namespace sm4::fast
