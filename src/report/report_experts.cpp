#include "report/report_experts.h"

#include <algorithm>
#include <numeric>

namespace sm4 {

std::optional<ExpertLayout> expert_layout(const Config& config) {
    if (config.model.backbone != Backbone::Sm4) return std::nullopt;
    return ExpertLayout{config.model.group_experts, config.model.num_experts, config.model.shared_experts,
                        config.model.group_by};
}

std::vector<std::int64_t> group_sizes(const ExpertLayout& layout, std::size_t groups, std::int64_t experts) {
    std::vector<std::int64_t> sizes = layout.group_experts;
    const auto n = static_cast<std::int64_t>(groups);
    if (sizes.empty() && n > 0)  // as model/expert_groups.cpp splits them: earlier groups take the remainder
        for (std::int64_t i = 0; i < n; ++i) sizes.push_back(layout.num_experts / n + (i < layout.num_experts % n ? 1 : 0));
    const std::int64_t total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}) + layout.shared;
    if (sizes.size() != groups || total != experts) return {};
    return sizes;
}

std::vector<ColumnGroup> expert_column_groups(const ExpertLayout& layout, const std::vector<std::string>& groups,
                                              std::int64_t experts) {
    const auto sizes = group_sizes(layout, groups.size(), experts);
    if (sizes.empty()) return {};
    std::vector<ColumnGroup> out;
    for (std::size_t g = 0; g < groups.size(); ++g) out.push_back({groups[g], static_cast<std::size_t>(sizes[g])});
    if (layout.shared > 0) out.push_back({"shared", static_cast<std::size_t>(layout.shared)});
    return out;
}

std::int64_t group_of_slot(const ExpertLayout& layout, const std::vector<std::string>& groups, const std::string& slot) {
    const auto slash = slot.find('/');
    const std::string name = layout.group_by == GroupBy::Kind && slash != std::string::npos ? slot.substr(slash + 1) : slot;
    const auto it = std::find(groups.begin(), groups.end(), name);
    return it == groups.end() ? -1 : it - groups.begin();
}

}  // namespace sm4
