#include "model/layer_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"
#include "core/text.h"

namespace sm4 {

bool is_sparse_layer(const ModelConfig& c, std::int64_t layer) {
    if (c.backbone == Backbone::Dense || c.backbone == Backbone::HighMmt) return false;
    if (!c.sparse_layers.empty())
        return std::find(c.sparse_layers.begin(), c.sparse_layers.end(), layer + 1) != c.sparse_layers.end();
    return (layer + 1) % c.moe_every == 0;
}

RouterScope attention_scope(const ModelConfig& c) { return c.backbone == Backbone::Sm4 ? c.attention_router : RouterScope::None; }

RouterScope ffn_scope(const ModelConfig& c) {
    if (c.backbone == Backbone::Smoe) return RouterScope::Single;
    return c.backbone == Backbone::Sm4 ? c.ffn_router : RouterScope::None;
}

std::vector<std::string> modality_slots(const std::vector<TaskSpec>& tasks) {
    std::vector<std::string> slots;
    for (const auto& t : tasks)
        for (const auto& m : t.modalities) slots.push_back(t.name + "/" + m.name);
    return slots;
}

std::vector<std::int64_t> modality_top_k(const ModelConfig& c, const std::vector<std::string>& slots) {
    const auto& k = c.modality_top_k;
    if (k.size() != 1 && k.size() != slots.size())
        throw ConfigError(fmt::format("model.modality_top_k has {} values for the {} modality slots ({}): give one for "
                                      "all, or one per slot in that order",
                                      k.size(), slots.size(), join(slots, ", ")));
    std::vector<std::int64_t> out = k.size() == 1 ? std::vector<std::int64_t>(slots.size(), k[0]) : k;
    for (std::size_t j = 0; j < out.size(); ++j)
        if (out[j] < 1 || out[j] > c.num_experts)
            throw ConfigError(fmt::format("model.modality_top_k: {} would activate {} experts, but a group has "
                                          "model.num_experts = {}",
                                          slots[j], out[j], c.num_experts));
    return out;
}

std::int64_t head_width(const TaskSpec& task, const ModelConfig& config) {
    return task.type == TaskType::Binary ? config.binary_logits : task.num_outputs;
}

}  // namespace sm4
