#include "config_options.h"

#include <fmt/core.h>

#include "app/experiment_file.h"
#include "core/errors.h"
#include "core/text.h"

namespace sm4::cli {

std::filesystem::path config_file(const std::string& text, const std::string& what) {
    const std::filesystem::path path(text);
    if (std::filesystem::is_regular_file(path)) return path;
    if (text.find('=') != std::string::npos)
        throw UsageError(fmt::format("{} '{}': no such file (did you mean --set {}?)", what, printable(text),
                                     shell_quote(text)));
    // A bare name (no folder, no extension) is an experiment; a path is left to the loader,
    // whose error names it.
    if (path.has_parent_path() || path.has_extension()) return path;
    return experiment_file(text);
}

void ConfigOptions::add_to(CLI::App& command) {
    command.add_option("-c,--config", files, "TOML config file, or a name in experiments/; repeatable, later files win")
        ->group("Configuration");
    command.add_option("-s,--set", overrides, "Override one key, e.g. --set data.seed=3; repeatable, wins over files")
        ->group("Configuration");
    command.add_option("--method", method,
                       "Apply the config files' [method.NAME] tables (a method's own values in an experiment, e.g. "
                       "highmmt's latents and token rules in experiments/large.toml)")
        ->group("Configuration");
    command.add_flag("--dump-config", dump, "Print the resolved config, each value with where it came from, and exit")
        ->group("Configuration");
}

ResolvedConfig ConfigOptions::resolve() const {
    std::vector<std::filesystem::path> paths;
    for (const auto& file : files) paths.push_back(config_file(file));
    return load_config(paths, overrides, method);
}

bool ConfigOptions::dump_if_requested(const ResolvedConfig& config) const {
    if (!dump) return false;
    fmt::print("{}", to_toml(config, /*with_sources=*/true));
    return true;
}

}  // namespace sm4::cli
