#include "data/splits.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/random.h"

namespace sm4 {

SplitIndices stratified_split(const std::vector<std::int64_t>& labels, double val_fraction, double test_fraction,
                              std::uint64_t seed) {
    std::map<std::int64_t, std::vector<std::int64_t>> by_class;
    for (std::size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(static_cast<std::int64_t>(i));

    Rng rng(derive_seed(seed, "stratified_split"));
    SplitIndices out;
    for (auto& [label, members] : by_class) {
        rng.shuffle(members);
        const auto n = static_cast<double>(members.size());
        const auto n_test = static_cast<std::size_t>(std::lround(n * test_fraction));
        const auto n_val = static_cast<std::size_t>(std::lround(n * val_fraction));
        for (std::size_t k = 0; k < members.size(); ++k) {
            auto& target = k < n_test ? out.test : (k < n_test + n_val ? out.val : out.train);
            target.push_back(members[k]);
        }
    }
    for (auto* part : {&out.train, &out.val, &out.test}) std::sort(part->begin(), part->end());
    return out;
}

}  // namespace sm4
