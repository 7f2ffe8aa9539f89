// Experiments by name: "minibench" is experiments/minibench.toml, looked up in the working folder
// and then in the source tree sm4 was built from.
#pragma once

#include <filesystem>
#include <string>

namespace sm4 {

// A path to an existing .toml file is itself; a name is experiments/<name>.toml here or in the
// source tree. UsageError naming both places when neither holds it.
std::filesystem::path experiment_file(const std::string& name);

}  // namespace sm4
