// The device a job runs on, from the config's word for it.
#pragma once

#include <c10/core/Device.h>

#include "core/config.h"

namespace sm4 {

// cpu, or CUDA device local_rank (modulo the devices there are: each data-parallel rank of a
// node takes its own); ConfigError naming train.device when cuda is asked for and this build or
// machine has none.
at::Device compute_device(ComputeDevice device, int local_rank = 0);

}  // namespace sm4
