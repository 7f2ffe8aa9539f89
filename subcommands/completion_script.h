// Shell completion scripts generated from the CLI11 command tree: commands, their options, the
// options that take a value, the config keys for --set and experiment names for --config.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "core/choice.h"

namespace sm4::cli {
enum class Shell { Bash, Zsh };
}  // namespace sm4::cli

namespace sm4 {
template <> struct ChoiceNames<cli::Shell> { static constexpr std::array<std::string_view, 2> names{"bash", "zsh"}; };
}  // namespace sm4

namespace sm4::cli {

// The script `sm4 completion bash|zsh` prints; sourcing it completes `sm4` (README, "Commands").
std::string completion_script(const CLI::App& app, Shell shell);

}  // namespace sm4::cli
