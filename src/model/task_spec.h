// What the model needs to know about each task, taken from the dataset headers (no LibTorch;
// train/task_data.h makes them from the dataset files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/task_type.h"

namespace sm4 {

struct ModalitySpec {
    std::string name;                  // "image"
    std::string kind;                  // "image", "audio", "table", ...
    std::vector<std::int64_t> shape;   // one example: [C, H, W], [T, D] or [D]
};

struct TaskSpec {
    std::string name;
    TaskType type = TaskType::Classification;
    std::int64_t num_outputs = 0;
    std::vector<ModalitySpec> modalities;

    // Width of the head: one logit for binary tasks, num_outputs otherwise.
    std::int64_t head_outputs() const { return type == TaskType::Binary ? 1 : num_outputs; }
};

}  // namespace sm4
