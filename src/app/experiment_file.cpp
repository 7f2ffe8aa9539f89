#include "app/experiment_file.h"

#include <fmt/format.h>

#include "core/errors.h"

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

}  // namespace sm4
