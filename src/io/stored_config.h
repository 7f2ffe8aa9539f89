// The one reader of stored configurations: the resolved config a run was trained with (runs.
// config_toml), or the one inside a checkpoint, read through the schema like any config file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/config_loader.h"
#include "io/results_db.h"

namespace sm4 {

// Defaults < the stored TOML; values' sources read "<origin>:<line>". ConfigError naming
// `origin` when the text no longer fits this sm4's schema (a key it dropped, a bad value).
ResolvedConfig stored_config(std::string_view config_toml, const std::string& origin);

// A run's config, origin "run <id> config".
ResolvedConfig stored_config(const RunRecord& run);

// UsageError naming `what` (a run, a checkpoint) when `config` was stored by sm4's design 1 (it
// held keys that design had: config.retired), whose checkpoints this sm4 cannot load.
void require_current_design(const ResolvedConfig& config, const std::string& what);

// The folder the run claimed (runs.folder; io/run_folder.h), or for runs of schema < 5
// <output.runs_dir of the run's stored config>/<id>: its checkpoints and trace.h5.
std::filesystem::path run_folder(const RunRecord& run);

}  // namespace sm4
