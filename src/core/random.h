// A small, portable random generator (SplitMix64 seeding xoshiro256**) whose streams are the
// same on every platform and standard library, so seeded splits and synthesis are reproducible.
#pragma once

#include <cstdint>
#include <vector>

namespace sm4 {

class Rng {
public:
    explicit Rng(std::uint64_t seed);
    std::uint64_t next();
    double uniform();                                        // [0, 1)
    double uniform(double lo, double hi);                    // [lo, hi)
    std::int64_t integer(std::int64_t lo, std::int64_t hi);  // [lo, hi], inclusive
    double normal();                                         // standard normal (Box-Muller)
    template <class T> void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[integer(0, i - 1)]);
    }

private:
    std::uint64_t s_[4];
};

// A seed derived from a base seed and a stream name, so independent consumers of one
// configured seed (splits, voices, noise) do not share a stream.
std::uint64_t derive_seed(std::uint64_t seed, const char* stream);

}  // namespace sm4
