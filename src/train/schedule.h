// Learning-rate schedules: linear warm-up, then cosine decay to zero, step decay, or constant.
#pragma once

#include <cstdint>

#include "core/config.h"

namespace sm4 {

// Learning rate at global step `step` (0-based) of `total_steps`, in epoch `epoch` (0-based).
double learning_rate(const TrainConfig& train, std::int64_t step, std::int64_t total_steps, std::int64_t epoch);

}  // namespace sm4
