// Analytic parameters and FLOPs of HighMMT's network (model/highmmt_network.h) from its config
// and the task shapes alone (no LibTorch), with a multiply-add counted as 2 FLOPs and only matrix
// products counted (as the measured counter does): rows attention (the latent array, the
// unimodal cross-attention and latent self-attention projections, and every attention score and
// mixing product of both stages), feed_forward (the unimodal GEGLUs), cross_modal (the pair
// stage's projections and GEGLUs) and head. Formulas in docs/highmmt.md.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/flops_rows.h"
#include "model/task_spec.h"

namespace sm4 {

std::vector<FlopsRecord> highmmt_analytic_flops(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                                const std::string& label);

}  // namespace sm4
