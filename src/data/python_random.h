// Python's `random` module, as far as MultiBench's splits use it: random.seed(int) (MT19937
// seeded by init_by_array over the seed's 32-bit words), getrandbits and random.shuffle. With the
// same seed a sequence is permuted exactly as CPython 3 permutes it, so sm4 reproduces
// MultiBench's shuffled splits without Python.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace sm4 {

class PythonRandom {
public:
    explicit PythonRandom(std::uint64_t seed);  // random.seed(seed) for a non-negative int

    std::uint32_t next_uint32();        // one MT19937 output (genrand_uint32)
    std::uint64_t getrandbits(int k);   // random.getrandbits(k), 1 <= k <= 64
    std::uint64_t randbelow(std::uint64_t n);  // random._randbelow(n): [0, n), n >= 1

    // random.shuffle(items): Fisher-Yates from the last element down, j = _randbelow(i + 1).
    template <class T> void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[randbelow(i)]);
    }

private:
    void twist();
    std::uint32_t state_[624];
    int index_ = 624;
};

// [0, n) in the order `random.seed(seed); l = list(range(n)); random.shuffle(l)` leaves it.
std::vector<std::int64_t> python_shuffled_range(std::int64_t n, std::uint64_t seed);

}  // namespace sm4
