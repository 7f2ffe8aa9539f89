// End-to-end training throughput: the training step of `sm4 train` (one batch of every task,
// summed losses and balance losses, backward, clipping, AdamW) timed for an experiment's model
// with each backbone. Data: the experiment's real train split when every task file is present,
// else random tensors of the shapes the task's datasets have (the result says which).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"

namespace sm4 {

class ProcessGroup;

struct E2eOptions {
    std::filesystem::path experiments = "experiments";  // holds minibench.toml and medium.toml
    std::vector<std::string> configs = {"minibench", "medium"};
    std::vector<Backbone> backbones = {Backbone::Dense, Backbone::Smoe, Backbone::Sm4, Backbone::HighMmt};
    std::int64_t batch_size = 0;  // 0: the experiment's train.batch_size
    int warmup = 2, steps = 8;    // timed steps (median)
    // A data-parallel group (`sm4 bench --e2e --nproc N`): every step also sums the gradients over
    // the ranks (bucketed, as `sm4 train` does) and divides them by the world size.
    ProcessGroup* group = nullptr;
};

struct E2eResult {
    std::string config, backbone;
    std::string data;              // "real" or "synthetic"
    std::int64_t tasks = 0, batch_size = 0;
    double step_ms = 0, samples_per_s = 0;  // samples: tasks * batch_size * world_size per step
    int world_size = 1;
    double reduce_ms = 0;          // the gradient all-reduce's mean time per step (in step_ms)
    double reduce_mb = 0;          // megabytes each rank sums per step
    std::int64_t parameters = 0;
    // Resident memory (MiB): the process's peak while this case ran (its peak counter reset
    // first, where Linux allows), and how far the resident size moved from the end of the warm-up
    // steps to the end of the timed steps (0 when a step frees all it allocates).
    double rss_peak_mb = 0, rss_growth_mb = 0;
    std::string load;              // load average when measured
};

// `tick` is called after each (config, backbone) pair, for a progress line.
std::vector<E2eResult> measure_training(const E2eOptions& options, const at::Device& device,
                                        const std::function<void()>& tick);

}  // namespace sm4
