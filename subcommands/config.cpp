#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "config_options.h"
#include "core/config_schema.h"
#include "core/table.h"

namespace sm4::cli {

void add_config_command(CLI::App& app) {
    struct Options {
        ConfigOptions config;
        bool keys = false;
        bool markdown = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("config", "Validate configs and print the resolved result with sources");
    options->config.add_to(*command);
    CLI::Option* keys = command->add_flag("--keys", options->keys, "List every key with its type, default and description instead");
    command->add_flag("--markdown", options->markdown, "With --keys: the README's markdown table")->needs(keys);
    command->callback([options] {
        if (options->keys) {
            fmt::print("{}", print_table(config_keys_table(), options->markdown ? TableFormat::Markdown : TableFormat::Text));
            return;
        }
        fmt::print("{}", to_toml(options->config.resolve(), /*with_sources=*/true));
    });
}

}  // namespace sm4::cli
