// Analytic parameter and FLOP accounting of the multitask model from its config and the task
// shapes alone (no LibTorch): per task x modality x component, per sample, with a multiply-add
// counted as 2 FLOPs and only matrix products counted. The formulas are in docs/flops.md;
// flop_measure.h counts the same products as they execute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/flops_rows.h"
#include "model/task_spec.h"

namespace sm4 {

// The dense counterpart: the same config with backbone "dense" (the same tokens, encoder,
// fusion, heads, width, depth and ffn_hidden; dense attention and feed-forward in every layer).
ModelConfig dense_counterpart(const ModelConfig& config);

// model.match_flops: the dense model whose mean FLOPs per sample over `tasks` equal those of
// `config` with backbone match_flops (sm4 or smoe; its modalities activating
// `reference_top_k` experts, or model.modality_top_k when empty): returns it with ffn_hidden
// solved (FLOPs are linear in ffn_hidden) and match_flops none. ConfigError naming
// model.match_flops when no hidden size >= 4 gets there (the rest of the dense model alone costs
// more).
ModelConfig flops_matched_dense(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                const std::vector<std::int64_t>& reference_top_k = {});

// The model model.match_flops sizes the dense model against: `config` with backbone
// match_flops and match_flops none.
ModelConfig match_flops_reference(const ModelConfig& config);

// Share of routed assignments an expert's capacity keeps under balanced routing:
// min(1, capacity_factor), 1 when capacity_factor <= 0 (no limit).
double capacity_kept_share(const ModelConfig& config);

// Rows of one model (`label`: "configured" or "dense"): for every task its encoder rows (one per
// modality; the first holds the shared encoder's parameters), the layers' attention (dense) or
// smoa, feed_forward (dense) or smoe, router (routed parts: one row per modality, the shared
// parameters on the task's first modality's row), head; then one ("", "", total) row with the whole
// model's parameters (each counted once) and the mean over tasks of active parameters and FLOPs.
// highmmt: docs/highmmt.md's rows. `batch` is unused (kept for callers).
std::vector<FlopsRecord> analytic_flops(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                        std::int64_t batch, const std::string& label);

}  // namespace sm4
