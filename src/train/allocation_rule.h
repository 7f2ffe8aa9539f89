// SM4's adaptive expert allocation (AEA), the decision: given each modality group's probe losses
// for every candidate expert count, pick one count per group (no LibTorch; the probe that
// measures the losses is in allocation_probe.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace sm4 {

struct ProbeScore {
    std::int64_t candidate = 0;
    double train_loss = 0.0;
    double val_loss = 0.0;
    double gap() const { return val_loss - train_loss; }
};

// One group's choice under aea.rule:
//   within_tolerance  the smallest count whose val loss <= best * (1 + tolerance) (for a negative
//                     best, best + tolerance * |best|);
//   lowest_val        the count with the lowest val loss (ties: the smaller count);
//   lowest_gap        among the counts within tolerance, the one with the smallest gap
//                     (val - train; ties: the smaller count).
// A non-finite val loss (a diverged probe) is never chosen; if every one is, the smallest count is.
// scores: one per candidate, any order, non-empty.
std::int64_t choose_expert_count(const std::vector<ProbeScore>& scores, const AeaConfig& config);

// Every group's choice, then the budget: while the total exceeds aea.budget (> 0), the group
// with the most experts (ties: the later group) steps down to its next smaller candidate; a
// budget below one expert per group is a ConfigError naming aea.budget.
std::vector<std::int64_t> choose_allocation(const std::vector<std::vector<ProbeScore>>& scores_per_group,
                                            const AeaConfig& config);

}  // namespace sm4
