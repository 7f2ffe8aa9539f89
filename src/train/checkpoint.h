// Checkpoints: the model, the optimiser, the random generator's state, the position in
// training and the resolved config, in one file written atomically.
#pragma once

#include <torch/optim/optimizer.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "model/multitask_model.h"

namespace sm4 {

struct TrainingState {
    std::int64_t epoch = 0;            // epochs completed
    std::int64_t step_in_epoch = 0;    // steps of the current epoch done
    std::int64_t global_step = 0;
    std::vector<std::int64_t> batch_counters;  // batches drawn per task
    double best_score = -std::numeric_limits<double>::infinity();
    std::int64_t best_epoch = -1;
    // The open logging window's sums (RunTrace::window_state); empty at an epoch's end, where
    // the window was just written.
    std::vector<at::Tensor> window;
};

// optimizer and extra may be null (a model-only file, such as best.pt); extra holds training
// state kept as a module (the loss weighting).
void save_checkpoint(const std::filesystem::path& path, MultitaskModel& model, torch::optim::Optimizer* optimizer,
                     torch::nn::Module* extra, const TrainingState& state, const std::string& config_toml);

// The resolved config stored in a checkpoint (to rebuild the model before loading it).
std::string read_checkpoint_config(const std::filesystem::path& path);

// Restores what save_checkpoint stored onto `device` (where the model already is); optimizer
// and state may be null. Restores the CPU random generator's state when state is given.
// Throws IoError naming the file.
void load_checkpoint(const std::filesystem::path& path, MultitaskModel& model, torch::optim::Optimizer* optimizer,
                     torch::nn::Module* extra, TrainingState* state, const at::Device& device);

}  // namespace sm4
