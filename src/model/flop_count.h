// Analytic parameter and FLOP accounting of the multitask model from its config and the task
// shapes alone (no LibTorch): per task x modality x component, per sample, with a multiply-add
// counted as 2 FLOPs. The formulas are in docs/flops.md; flop_measure.h counts the same products
// as they execute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/flops_rows.h"
#include "model/task_spec.h"

namespace sm4 {

// Tokens one example of a modality becomes (the tokenizer's patch grid, steps or features).
std::int64_t tokens_of(const ModalitySpec& modality, const ModelConfig& config);

// The dense counterpart: the same config with backbone "dense" and ordinary attention
// (attention_experts 0); same width, hidden size and depth.
ModelConfig dense_counterpart(const ModelConfig& config);

// model.match_flops: the dense model (plain attention) whose mean FLOPs per sample over `tasks`
// equal those of `config` with backbone match_flops (sm4 or smoe, its attention experts and
// expert widths as configured; its modality groups get `reference_experts` (AEA's choice for
// that model, see train/allocation_probe.h) or, when empty, model.group_experts, or split
// num_experts evenly): returns
// it with ffn_hidden solved (FLOPs are linear in ffn_hidden) and match_flops none. ConfigError
// naming model.match_flops when no hidden size >= 4 gets there (the dense model's attention
// alone costs more).
ModelConfig flops_matched_dense(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                const std::vector<std::int64_t>& reference_experts = {});

// The model model.match_flops sizes the dense model against: `config` with backbone
// match_flops and match_flops none.
ModelConfig match_flops_reference(const ModelConfig& config);

// Share of routed assignments an expert's capacity keeps under balanced routing:
// min(1, capacity_factor), 1 when capacity_factor <= 0 (no limit).
double capacity_kept_share(const ModelConfig& config);

// Rows of one model (`label`: "configured" or "dense"): for every task its tokenizer rows (one
// per modality), attention, feed_forward, experts and router (one per modality with the sm4
// backbone, else modality ""), head; then one ("", "", total) row with the whole model's
// parameters (each counted once) and the mean over tasks of active parameters and FLOPs.
// `batch` matters only for work done once per batch (Fourier position projections).
std::vector<FlopsRecord> analytic_flops(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                        std::int64_t batch, const std::string& label);

}  // namespace sm4
