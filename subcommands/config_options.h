// The option group every configurable subcommand shares: --config (repeatable), --set
// (repeatable) and --dump-config.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "core/config_loader.h"

namespace sm4::cli {

struct ConfigOptions {
    std::vector<std::string> files;
    std::vector<std::string> overrides;
    bool dump = false;

    void add_to(CLI::App& command);
    ResolvedConfig resolve() const;
    // Prints the resolved config with sources when --dump-config was given; true if it did.
    bool dump_if_requested(const ResolvedConfig& config) const;
};

}  // namespace sm4::cli
