// Measured FLOPs of the multitask model: runs one task's forward pass on a real batch under a
// MatmulFlopCounter and attributes each product to the component (and modality) owning its
// weights, so the numbers line up with analytic_flops' rows.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/flops_rows.h"
#include "model/multitask_model.h"

namespace sm4 {

// FLOPs of one component in one task's forward, per sample.
struct MeasuredPart {
    std::string component;
    std::vector<std::string> modalities;  // the task's modalities that reach these weights; empty: all
    double flops = 0;
};

// One forward of `task` on inputs ([batch, ...shape] per modality) in eval mode without
// gradients, counted. Products with no weight among their inputs are attention scores and mixing.
std::vector<MeasuredPart> measure_task_flops(MultitaskModel& model, std::size_t task,
                                             const std::vector<at::Tensor>& inputs);

// Sets measured_flops on `model`'s rows of `task` (to 0 first): a part goes to the row of its
// component with modality "" when there is one, else is split over its modalities' rows in
// proportion to their analytic FLOPs; a part with no row gets a new one (analytic 0).
void attach_measured(std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task,
                     const std::vector<MeasuredPart>& parts);

}  // namespace sm4
