// --db/--database, the option of every command that reads or writes runs. Without it: the
// output.database of --config files when the command takes them, else $SM4_DB, else
// results/sm4.db.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace sm4::cli {

struct ConfigOptions;

struct DatabaseOption {
    std::string path;                 // empty: not given
    std::vector<std::string> configs; // read commands' --config files, for their output.database

    // --db/--database; with_config also adds -c/--config (for read commands that take no other
    // config options).
    void add_to(CLI::App& command, const std::string& help = "Results database", bool with_config = false);
    bool given() const { return !path.empty(); }
    // The database to use, as described above; `config` supplies --config/--set when the command
    // has its own ConfigOptions.
    std::filesystem::path resolve(const ConfigOptions* config = nullptr) const;
};

}  // namespace sm4::cli
