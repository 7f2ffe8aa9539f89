#include "train/reproduce.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "data/preprocess.h"
#include "train/task_data.h"

#ifndef SM4_SOURCE_DIR
#define SM4_SOURCE_DIR "."
#endif

namespace sm4 {

std::filesystem::path experiment_file(const std::string& name) {
    const std::filesystem::path direct(name);
    if (direct.extension() == ".toml" && std::filesystem::exists(direct)) return direct;
    for (const std::filesystem::path& root : {std::filesystem::path("."), std::filesystem::path(SM4_SOURCE_DIR)}) {
        const auto candidate = root / "experiments" / (name + ".toml");
        if (std::filesystem::exists(candidate)) return candidate;
    }
    throw UsageError(fmt::format("experiment '{}' not found (looked for experiments/{}.toml here and in {})", name,
                                 name, SM4_SOURCE_DIR));
}

std::vector<std::string> prepare_missing_datasets(const Config& config) {
    std::vector<std::string> made;
    for (const auto& task : config.data.tasks) {
        const auto path = task_file(config, task);
        if (std::filesystem::exists(path)) continue;
        std::fprintf(stderr, "reproduce: preparing %s -> %s\n", task.c_str(), path.string().c_str());
        preprocess_dataset(task, "", path, config);
        made.push_back(task);
    }
    return made;
}

}  // namespace sm4
