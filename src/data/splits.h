// Seeded, stratified splitting of example indices into train / validation / test.
#pragma once

#include <cstdint>
#include <vector>

namespace sm4 {

struct SplitIndices {
    std::vector<std::int64_t> train, val, test;  // indices into the source examples, ascending
};

// Splits each class separately so every split keeps the class proportions: per class,
// round(n * test_fraction) go to test, then round(n * val_fraction) to val, the rest to train.
SplitIndices stratified_split(const std::vector<std::int64_t>& labels, double val_fraction, double test_fraction,
                              std::uint64_t seed);

}  // namespace sm4
