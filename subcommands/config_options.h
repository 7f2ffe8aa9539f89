// The option group every configurable subcommand shares: --config (repeatable), --set
// (repeatable) and --dump-config.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/config_loader.h"

namespace sm4::cli {

struct ConfigOptions {
    std::vector<std::string> files;
    std::vector<std::string> overrides;
    std::string method;  // --method: the files' [method.NAME] tables to apply
    bool dump = false;

    void add_to(CLI::App& command);
    ResolvedConfig resolve() const;
    // Prints the resolved config with sources when --dump-config was given; true if it did.
    bool dump_if_requested(const ResolvedConfig& config) const;
};

// The file a --config (or an experiment argument, named by `what`) means: an existing path is
// itself; a bare name is experiments/<name>.toml as `sm4 sweep` finds it. A key=value that is no
// file is a UsageError suggesting --set.
std::filesystem::path config_file(const std::string& text, const std::string& what = "--config");

}  // namespace sm4::cli
