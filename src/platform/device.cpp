#include "platform/device.h"

#include <torch/cuda.h>

#include <string>

#include "core/errors.h"
#include "platform/build_info.h"

namespace sm4 {

at::Device compute_device(ComputeDevice device, int local_rank) {
    if (device == ComputeDevice::Cuda) {
        if (!torch::cuda::is_available())
            throw ConfigError("train.device = \"cuda\" but no CUDA device is usable (this build: " +
                              std::string(build_info().cuda_compiled ? "with CUDA" : "CPU-only LibTorch") + ")");
        const auto count = static_cast<int>(torch::cuda::device_count());
        return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(count > 0 ? local_rank % count : 0));
    }
    return at::Device(at::kCPU);
}

}  // namespace sm4
