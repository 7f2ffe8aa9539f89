#include "train/allocation_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/errors.h"

namespace sm4 {
namespace {

std::vector<ProbeScore> by_count(std::vector<ProbeScore> scores) {
    std::sort(scores.begin(), scores.end(), [](const auto& a, const auto& b) { return a.candidate < b.candidate; });
    return scores;
}

// The lowest finite validation loss (a probe that diverged never wins); NaN when none is finite.
double best_val(const std::vector<ProbeScore>& scores) {
    double best = std::nan("");
    for (const auto& s : scores)
        if (std::isfinite(s.val_loss) && !(s.val_loss >= best)) best = s.val_loss;
    return best;
}

bool within_tolerance(const ProbeScore& s, double best, double tolerance) {
    return s.val_loss <= best + tolerance * std::abs(best);
}

}  // namespace

std::int64_t choose_expert_count(const std::vector<ProbeScore>& unsorted, const AeaConfig& config) {
    if (unsorted.empty()) throw Error("aea: no probe scores to choose from");
    const auto scores = by_count(unsorted);
    const double best = best_val(scores);
    if (std::isnan(best)) return scores.front().candidate;  // every probe diverged: the smallest count
    if (config.rule == AeaRule::LowestVal) {
        for (const auto& s : scores)
            if (s.val_loss == best) return s.candidate;
    }
    const ProbeScore* choice = nullptr;
    for (const auto& s : scores) {
        if (!within_tolerance(s, best, config.tolerance)) continue;
        if (config.rule == AeaRule::WithinTolerance) return s.candidate;
        if (!choice || s.gap() < choice->gap()) choice = &s;  // lowest_gap
    }
    return choice ? choice->candidate : scores.front().candidate;
}

std::vector<std::int64_t> choose_allocation(const std::vector<std::vector<ProbeScore>>& scores_per_group,
                                            const AeaConfig& config) {
    std::vector<std::int64_t> counts;
    for (const auto& scores : scores_per_group) counts.push_back(choose_expert_count(scores, config));
    if (config.budget <= 0) return counts;
    if (static_cast<std::int64_t>(counts.size()) > config.budget)
        throw ConfigError(fmt::format("aea.budget ({}) is smaller than the {} expert groups; every group needs at least "
                                      "one expert",
                                      config.budget, counts.size()));
    std::vector<std::int64_t> candidates = config.candidates;
    std::sort(candidates.begin(), candidates.end());
    while (std::accumulate(counts.begin(), counts.end(), std::int64_t{0}) > config.budget) {
        std::size_t largest = 0;
        for (std::size_t g = 0; g < counts.size(); ++g)
            if (counts[g] >= counts[largest]) largest = g;
        auto smaller = std::lower_bound(candidates.begin(), candidates.end(), counts[largest]);
        counts[largest] = smaller == candidates.begin() ? std::max<std::int64_t>(1, counts[largest] - 1) : *(smaller - 1);
    }
    return counts;
}

}  // namespace sm4
