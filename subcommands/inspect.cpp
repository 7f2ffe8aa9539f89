#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "data/preprocess.h"

namespace sm4::cli {

void add_inspect_command(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("inspect", "Check a canonical dataset file and summarise it");
    command->add_option("file", *path, "A .h5 file written by `sm4 preprocess`")->required();
    command->callback([path] { fmt::print("{}", describe_dataset(read_task_dataset(*path))); });
}

}  // namespace sm4::cli
