#include "model/expert_groups.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/errors.h"

namespace sm4 {

std::int64_t ExpertGroups::total() const {
    return std::accumulate(experts.begin(), experts.end(), std::int64_t{0}) + shared;
}

std::int64_t ExpertGroups::offset(std::size_t group) const {
    return std::accumulate(experts.begin(), experts.begin() + static_cast<std::ptrdiff_t>(group), std::int64_t{0});
}

ExpertGroups make_expert_groups(const std::vector<TaskSpec>& tasks, const ModelConfig& config) {
    ExpertGroups g;
    g.shared = config.shared_experts;
    for (const auto& task : tasks) {
        for (const auto& m : task.modalities) {
            const std::string name = config.group_by == "kind" ? m.kind : task.name + "/" + m.name;
            auto it = std::find(g.names.begin(), g.names.end(), name);
            if (it == g.names.end()) it = g.names.insert(g.names.end(), name);
            g.group_of_slot.push_back(it - g.names.begin());
        }
    }
    const auto groups = static_cast<std::int64_t>(g.names.size());
    if (!config.group_experts.empty()) {
        if (static_cast<std::int64_t>(config.group_experts.size()) != groups)
            throw ConfigError(fmt::format("model.group_experts has {} sizes for the {} expert groups ({})",
                                          config.group_experts.size(), groups, fmt::join(g.names, ", ")));
        for (auto n : config.group_experts)
            if (n < 1) throw ConfigError(fmt::format("model.group_experts: every group needs at least 1 expert, found {}", n));
        g.experts = config.group_experts;
        return g;
    }
    if (config.num_experts < groups)
        throw ConfigError(fmt::format("model.num_experts ({}) is smaller than the {} expert groups ({}); every group "
                                      "needs at least one expert",
                                      config.num_experts, groups, fmt::join(g.names, ", ")));
    for (std::int64_t i = 0; i < groups; ++i)
        g.experts.push_back(config.num_experts / groups + (i < config.num_experts % groups ? 1 : 0));
    return g;
}

}  // namespace sm4
