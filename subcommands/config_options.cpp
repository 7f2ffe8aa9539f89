#include "config_options.h"

#include <fmt/core.h>

namespace sm4::cli {

void ConfigOptions::add_to(CLI::App& command) {
    command.add_option("-c,--config", files, "TOML config file; repeatable, later files win")
        ->group("Configuration");
    command.add_option("-s,--set", overrides, "Override one key, e.g. --set data.seed=3; repeatable, wins over files")
        ->group("Configuration");
    command.add_flag("--dump-config", dump, "Print the resolved config, each value with where it came from, and exit")
        ->group("Configuration");
}

ResolvedConfig ConfigOptions::resolve() const {
    std::vector<std::filesystem::path> paths(files.begin(), files.end());
    return load_config(paths, overrides);
}

bool ConfigOptions::dump_if_requested(const ResolvedConfig& config) const {
    if (!dump) return false;
    fmt::print("{}", to_toml(config, /*with_sources=*/true));
    return true;
}

}  // namespace sm4::cli
