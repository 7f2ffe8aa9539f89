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
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("config", "Validate configs and print the resolved result with sources");
    options->config.add_to(*command);
    CLI::Option* keys = command->add_flag("--keys", options->keys, "List every key with its type, default and description instead");
    CLI::Option* markdown = command->add_flag("--markdown", options->markdown, "With --keys: the README's markdown table")->needs(keys);
    command->add_flag("--json", options->json,
                      "One JSON document: {\"values\": {section: {key: value}}, \"sources\": {key: source}}; with "
                      "--keys, an array of {key, type, default, meaning}")
        ->excludes(markdown);
    command->callback([options] {
        if (options->keys) {
            const TableFormat format =
                options->json ? TableFormat::Json : options->markdown ? TableFormat::Markdown : TableFormat::Text;
            fmt::print("{}", print_table(config_keys_table(), format));
            return;
        }
        const ResolvedConfig config = options->config.resolve();
        if (options->json) fmt::print("{}\n", config_json(config).dump());
        else fmt::print("{}", to_toml(config, /*with_sources=*/true));
    });
}

}  // namespace sm4::cli
