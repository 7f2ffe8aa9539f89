// The device a job runs on, from the config's word for it.
#pragma once

#include <c10/core/Device.h>

#include "core/config.h"

namespace sm4 {

// cpu, or the first CUDA device; ConfigError naming train.device when cuda is asked for and this
// build or machine has none.
at::Device compute_device(ComputeDevice device);

}  // namespace sm4
