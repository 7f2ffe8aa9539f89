#include "io/stored_config.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace sm4 {

ResolvedConfig stored_config(std::string_view config_toml, const std::string& origin) {
    ResolvedConfig config = default_config();
    apply_stored_toml(config, config_toml, origin);
    return config;
}

ResolvedConfig stored_config(const RunRecord& run) {
    return stored_config(run.config_toml, fmt::format("run {} config", run.id));
}

void require_current_design(const ResolvedConfig& config, const std::string& what) {
    if (config.retired.empty()) return;
    throw UsageError(fmt::format("{} was trained by sm4's design 1 ({}), retired: its results still report (sm4 runs "
                                 "show, sm4 report), but this sm4 cannot load its checkpoints",
                                 what, design_text(1).substr(design_text(1).find(':') + 2)));
}

std::filesystem::path run_folder(const RunRecord& run) {
    if (!run.folder.empty()) return run.folder;
    return std::filesystem::path(stored_config(run).values.output.runs_dir) / std::to_string(run.id);
}

}  // namespace sm4
