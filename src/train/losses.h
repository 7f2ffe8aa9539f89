// The training loss of each task type.
#pragma once

#include <ATen/core/Tensor.h>

#include "io/task_dataset.h"

namespace sm4 {

// outputs [batch, head_outputs]; labels int64 [batch] or float32 [batch, D]. Cross-entropy
// (classification), binary cross-entropy on one logit (binary, multilabel), MSE (regression).
at::Tensor task_loss(TaskType type, const at::Tensor& outputs, const at::Tensor& labels);

}  // namespace sm4
