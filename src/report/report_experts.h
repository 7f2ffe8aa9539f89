// Which experts of a routing layer belong to which SM4 expert group, from a run's stored config
// and its trace's axes: the load heatmap's column groups and why a modality has no routing
// entropy (a group of one expert makes no routing decision).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "report/plot_charts.h"

namespace sm4 {

// An SM4 run's expert layout as configured; the groups' names and count come from the trace
// (its pace_groups axis holds SM4's expert group names).
struct ExpertLayout {
    std::vector<std::int64_t> group_experts;  // model.group_experts; empty: num_experts split evenly
    std::int64_t num_experts = 0, shared = 0;
    GroupBy group_by = GroupBy::Modality;
};

// The layout of a backbone "sm4" config; none for the other backbones (one shared router).
std::optional<ExpertLayout> expert_layout(const Config& config);

// Experts per group in group order (the shared experts not included), as the model splits
// them; empty when the sizes do not add up to `experts` (the trace's experts per layer).
std::vector<std::int64_t> group_sizes(const ExpertLayout& layout, std::size_t groups, std::int64_t experts);

// The heatmap's column groups: each group's experts, then "shared"; empty when they do not fit.
std::vector<ColumnGroup> expert_column_groups(const ExpertLayout& layout, const std::vector<std::string>& groups,
                                              std::int64_t experts);

// The group of a modality slot ("task/modality"): the group of that name (group_by modality) or
// the one named as its modality (group_by kind, where modality names are kinds); -1 unknown.
std::int64_t group_of_slot(const ExpertLayout& layout, const std::vector<std::string>& groups, const std::string& slot);

}  // namespace sm4
