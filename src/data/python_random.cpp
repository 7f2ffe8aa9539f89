#include "data/python_random.h"

#include <algorithm>
#include <stdexcept>

namespace sm4 {
namespace {

constexpr int kN = 624;
constexpr int kM = 397;

}  // namespace

// CPython's random_seed: the absolute value of the int, cut into 32-bit words (least significant
// first; [0] for zero), fed to MT19937's init_by_array.
PythonRandom::PythonRandom(std::uint64_t seed) {
    std::vector<std::uint32_t> key = {static_cast<std::uint32_t>(seed)};
    if (seed >> 32) key.push_back(static_cast<std::uint32_t>(seed >> 32));

    state_[0] = 19650218u;  // init_genrand(19650218)
    for (int i = 1; i < kN; ++i)
        state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);

    int i = 1;
    std::size_t j = 0;
    for (std::size_t k = std::max<std::size_t>(kN, key.size()); k > 0; --k) {
        state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525u)) + key[j] +
                    static_cast<std::uint32_t>(j);
        ++i;
        ++j;
        if (i >= kN) {
            state_[0] = state_[kN - 1];
            i = 1;
        }
        if (j >= key.size()) j = 0;
    }
    for (int k = kN - 1; k > 0; --k) {
        state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941u)) - static_cast<std::uint32_t>(i);
        ++i;
        if (i >= kN) {
            state_[0] = state_[kN - 1];
            i = 1;
        }
    }
    state_[0] = 0x80000000u;  // the most significant bit is 1: a non-zero initial array
    index_ = kN;
}

void PythonRandom::twist() {
    for (int k = 0; k < kN; ++k) {
        const std::uint32_t y = (state_[k] & 0x80000000u) | (state_[(k + 1) % kN] & 0x7fffffffu);
        state_[k] = state_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
}

std::uint32_t PythonRandom::next_uint32() {
    if (index_ >= kN) twist();
    std::uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

// CPython fills 32-bit words from the least significant end; the last (most significant) word
// keeps only the top bits it needs of its draw.
std::uint64_t PythonRandom::getrandbits(int k) {
    if (k < 1 || k > 64) throw std::invalid_argument("getrandbits: k must be in [1, 64]");
    if (k <= 32) return next_uint32() >> (32 - k);
    const std::uint64_t low = next_uint32();
    const std::uint64_t high = next_uint32() >> (64 - k);
    return low | (high << 32);
}

// _randbelow_with_getrandbits: k = n.bit_length() bits, drawn again until below n.
std::uint64_t PythonRandom::randbelow(std::uint64_t n) {
    if (n == 0) throw std::invalid_argument("randbelow: n must be positive");
    int bits = 0;
    for (std::uint64_t v = n; v != 0; v >>= 1) ++bits;
    std::uint64_t r = getrandbits(bits);
    while (r >= n) r = getrandbits(bits);
    return r;
}

std::vector<std::int64_t> python_shuffled_range(std::int64_t n, std::uint64_t seed) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n < 0 ? 0 : n));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
    PythonRandom random(seed);
    random.shuffle(order);
    return order;
}

}  // namespace sm4
