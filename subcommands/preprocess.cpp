#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "config_options.h"
#include "data/preprocess.h"
#include "core/text.h"

namespace sm4::cli {

void add_preprocess_command(CLI::App& app) {
    struct Options {
        std::string dataset;
        std::string source;
        std::string output;
        ConfigOptions config;
    };
    auto options = std::make_shared<Options>();
    std::vector<std::string> lines;
    for (const auto& c : dataset_converters()) lines.push_back(fmt::format("  {:<14} {}", c.name, c.description));
    CLI::App* command = app.add_subcommand("preprocess", "Convert a raw dataset into the canonical sm4 HDF5 format");
    command->footer("Datasets:\n" + join(lines, "\n"));
    command->add_option("dataset", options->dataset, "Dataset name (see below)")->required();
    command->add_option("--src", options->source, "Raw data: a folder, or the file itself (default: per dataset)");
    command->add_option("-o,--out", options->output, "Output .h5 file (default: <data.root>/<dataset>.h5)");
    options->config.add_to(*command);
    command->callback([options] {
        const ResolvedConfig config = options->config.resolve();
        if (options->config.dump_if_requested(config)) return;
        const PreprocessResult result =
            preprocess_dataset(options->dataset, options->source, options->output, config.values);
        fmt::print("{}wrote {} in {:.1f} s\n", describe_dataset(result.dataset), result.output.string(), result.seconds);
    });
}

}  // namespace sm4::cli
