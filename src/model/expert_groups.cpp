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
            const std::string name = config.group_by == GroupBy::Kind ? m.kind : task.name + "/" + m.name;
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
    const std::int64_t shared = g.shared;
    g = split_evenly(g, config.num_experts, "model.num_experts");
    g.shared = shared;
    return g;
}

ExpertGroups single_group(std::int64_t slots, std::int64_t experts) {
    ExpertGroups g;
    g.names = {"all"};
    g.group_of_slot.assign(static_cast<std::size_t>(slots), 0);
    g.experts = {experts};
    return g;
}

ExpertGroups split_evenly(const ExpertGroups& groups, std::int64_t experts, const std::string& key) {
    const auto n = static_cast<std::int64_t>(groups.names.size());
    if (experts < n)
        throw ConfigError(fmt::format("{} ({}) is smaller than the {} expert groups ({}); every group needs at least "
                                      "one expert",
                                      key, experts, n, fmt::join(groups.names, ", ")));
    ExpertGroups g;
    g.names = groups.names;
    g.group_of_slot = groups.group_of_slot;
    for (std::int64_t i = 0; i < n; ++i) g.experts.push_back(experts / n + (i < experts % n ? 1 : 0));
    return g;
}

}  // namespace sm4
