// `sm4 reproduce`: the main job on the bundled data. Prepares any missing dataset with
// `preprocess`, trains the experiment, and returns the test results.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "train/trainer.h"

namespace sm4 {

// The experiment file for a name ("minibench" -> experiments/minibench.toml), looked up in the
// working folder and then in the source tree sm4 was built from. UsageError when absent.
std::filesystem::path experiment_file(const std::string& name);

// Preprocesses every task of data.tasks whose file is missing; returns the tasks it made.
std::vector<std::string> prepare_missing_datasets(const Config& config);

}  // namespace sm4
