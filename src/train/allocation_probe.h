// SM4's adaptive expert allocation (AEA), the measurement: before main training, one short
// training per candidate count, with every modality group given that many experts. The groups
// are disentangled (a token only reaches its own group), so one model per candidate probes all
// groups at once instead of one model per (group, candidate). Each group is scored by the train
// and validation losses of the tasks that use it; allocation_rule.h picks the counts.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/table.h"
#include "io/results_db.h"
#include "train/allocation_rule.h"
#include "train/task_data.h"

namespace sm4 {

struct AllocationProbe {
    std::vector<std::string> groups;              // expert groups, in model order
    std::vector<std::int64_t> candidates;         // counts probed, ascending
    std::vector<std::vector<ProbeScore>> scores;  // [group][candidate]
    std::vector<double> seconds;                  // wall time of each candidate's probe
    std::vector<std::int64_t> chosen;             // [group] the rule's choice
    std::int64_t steps = 0;                       // training steps per candidate
    double total_seconds() const;
};

// Whether `sm4 train` runs the probe: aea.enabled, backbone "sm4" and no model.group_experts.
bool allocation_probe_applies(const Config& config);

// Trains and scores one model per candidate (each from the same seed) for aea.probe_steps steps
// (0: steps_per_epoch / candidates), then applies the rule. Candidates larger than the budget
// allows for one group are skipped. Ctrl-C throws InterruptedError.
AllocationProbe probe_expert_allocation(const Config& config, const std::vector<TaskData>& tasks,
                                        const at::Device& device, std::int64_t steps_per_epoch);

// group, experts, train loss, val loss, gap, chosen (*): one row per (group, candidate).
Table allocation_probe_table(const AllocationProbe& probe);
std::vector<AllocationRecord> allocation_records(std::int64_t run_id, const AllocationProbe& probe);

}  // namespace sm4
