// The canonical shapes `sm4 preprocess` gives the MultiBench tasks (datasets/MULTIBENCH.md), so
// `sm4 flops` can count a task group's models before its data is there.
#pragma once

#include <optional>
#include <string>

#include "model/task_spec.h"

namespace sm4 {

// The spec of MultiBench task `name` (avmnist, enrico, mimic, mosei, urfunny, push, vt) as its
// converter writes it; nullopt for any other name (mosi and mustard keep the stored widths).
std::optional<TaskSpec> multibench_spec(const std::string& name);

}  // namespace sm4
