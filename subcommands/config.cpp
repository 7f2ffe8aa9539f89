#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "config_options.h"
#include "core/config_schema.h"

namespace sm4::cli {

void add_config_command(CLI::App& app) {
    struct Options {
        ConfigOptions config;
        bool keys = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("config", "Validate configs and print the resolved result with sources");
    options->config.add_to(*command);
    command->add_flag("--keys", options->keys, "List every key with its type and description instead");
    command->callback([options] {
        if (options->keys) {
            for (const auto& f : config_fields())
                fmt::print("{:<34} {:<17} {}\n", f.key, type_name(f.type), f.description);
            return;
        }
        fmt::print("{}", to_toml(options->config.resolve(), /*with_sources=*/true));
    });
}

}  // namespace sm4::cli
