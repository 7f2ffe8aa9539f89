#include "train/losses.h"

#include <ATen/ATen.h>

namespace sm4 {

at::Tensor task_loss(TaskType type, const at::Tensor& outputs, const at::Tensor& labels) {
    switch (type) {
        case TaskType::Classification:
            return at::cross_entropy_loss(outputs, labels);
        case TaskType::Binary:
            return at::binary_cross_entropy_with_logits(outputs.squeeze(1), labels.to(outputs.scalar_type()));
        case TaskType::Multilabel:
            return at::binary_cross_entropy_with_logits(outputs, labels);
        case TaskType::Regression:
            return at::mse_loss(outputs, labels);
    }
    return {};
}

}  // namespace sm4
