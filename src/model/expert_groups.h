// SM4's disentangled model space: which modality slot routes to which group of experts, and how
// many experts each group owns (no LibTorch).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "model/task_spec.h"

namespace sm4 {

struct ExpertGroups {
    std::vector<std::string> names;           // one per group: a slot "task/modality", or a kind
    std::vector<std::int64_t> group_of_slot;  // [slots]
    std::vector<std::int64_t> experts;        // [groups] experts each group owns
    std::int64_t shared = 0;                  // experts open to every group, after the groups'

    std::int64_t total() const;                      // all experts of a layer
    std::int64_t offset(std::size_t group) const;    // global index of the group's first expert
    std::int64_t shared_offset() const { return total() - shared; }
    std::size_t size() const { return experts.size(); }
};

// Groups from model.group_by ("modality": one group per task/modality slot; "kind": one per
// modality kind) and sizes from model.group_experts, or num_experts split as evenly as possible
// (earlier groups take the remainder). ConfigError names the key when the sizes do not fit.
ExpertGroups make_expert_groups(const std::vector<TaskSpec>& tasks, const ModelConfig& config);

// One group holding every slot: the shared router of vanilla SMoE.
ExpertGroups single_group(std::int64_t slots, std::int64_t experts);

// The grouping of `groups` with `experts` split as evenly as possible (earlier groups take the
// remainder) and no shared experts; ConfigError naming `key` when there are fewer experts than
// groups. SM4's attention-head experts are grouped this way.
ExpertGroups split_evenly(const ExpertGroups& groups, std::int64_t experts, const std::string& key);

}  // namespace sm4
