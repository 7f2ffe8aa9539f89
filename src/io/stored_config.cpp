#include "io/stored_config.h"

#include <fmt/format.h>

namespace sm4 {

ResolvedConfig stored_config(std::string_view config_toml, const std::string& origin) {
    ResolvedConfig config = default_config();
    apply_toml(config, config_toml, origin);
    return config;
}

ResolvedConfig stored_config(const RunRecord& run) {
    return stored_config(run.config_toml, fmt::format("run {} config", run.id));
}

std::filesystem::path run_folder(const RunRecord& run) {
    if (!run.folder.empty()) return run.folder;
    return std::filesystem::path(stored_config(run).values.output.runs_dir) / std::to_string(run.id);
}

}  // namespace sm4
