// `sm4 inspect FILE`: check a canonical dataset file and summarise it (text or JSON).
#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "data/preprocess.h"

namespace sm4::cli {

void add_inspect_command(CLI::App& app) {
    struct Options {
        std::string path;
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("inspect", "Check a canonical dataset file and summarise it");
    command->add_option("file", options->path, "A .h5 file written by `sm4 preprocess`")->required();
    command->add_flag("--json", options->json,
                      "One JSON document: task, task_type, num_outputs, class_names, source, seed, created_by, "
                      "examples, modalities");
    command->callback([options] {
        const TaskDataset dataset = read_task_dataset(options->path);
        fmt::print("{}", options->json ? dataset_json(dataset).dump() + "\n" : describe_dataset(dataset));
    });
}

}  // namespace sm4::cli
