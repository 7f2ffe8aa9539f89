// Which parts of the network a config builds, decided from the config alone (no LibTorch), so
// the model and the FLOP accounting read the same rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "model/task_spec.h"

namespace sm4 {

// Whether layer i (0-based) is sparse: model.sparse_layers (1-based), or every moe_every-th;
// never for the dense and highmmt backbones.
bool is_sparse_layer(const ModelConfig& config, std::int64_t layer);

// The router scopes of a sparse layer (RouterScope::None: that part stays dense): sm4 reads
// model.attention_router and ffn_router; smoe has dense attention and one SMoE router.
RouterScope attention_scope(const ModelConfig& config);
RouterScope ffn_scope(const ModelConfig& config);

// The modality slots of the tasks, "task/modality", in data.tasks order.
std::vector<std::string> modality_slots(const std::vector<TaskSpec>& tasks);

// model.modality_top_k for these slots: one value repeated, or one per slot; ConfigError naming
// the key when the list has another length or a k outside [1, num_experts].
std::vector<std::int64_t> modality_top_k(const ModelConfig& config, const std::vector<std::string>& slots);

// Outputs of a task's head: num_outputs; for a binary task model.binary_logits (1 or 2).
std::int64_t head_width(const TaskSpec& task, const ModelConfig& config);

}  // namespace sm4
