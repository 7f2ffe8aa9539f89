#include "database_option.h"

#include <cstdlib>

#include "config_options.h"
#include "core/config.h"

namespace sm4::cli {

void DatabaseOption::add_to(CLI::App& command, const std::string& help, bool with_config) {
    command.add_option("--db,--database", path, help + " (default: --config's output.database, $SM4_DB or " +
                                                      kDefaultDatabase + ")")
        ->type_name("PATH");
    if (with_config)
        command.add_option("-c,--config", configs, "Config file(s) whose output.database to read (a path or a name in "
                                                   "experiments/)")
            ->type_name("FILE");
}

std::filesystem::path DatabaseOption::resolve(const ConfigOptions* config) const {
    if (given()) return path;
    if (config != nullptr && (!config->files.empty() || !config->overrides.empty()))
        return config->resolve().values.output.database;
    if (!configs.empty()) {
        ConfigOptions own;
        own.files = configs;
        return own.resolve().values.output.database;
    }
    return default_database();
}

}  // namespace sm4::cli
