#include "core/config_hash.h"

#include <fmt/format.h>

#include <cstdint>

#include "core/text.h"

namespace sm4 {
namespace {

std::uint64_t fnv1a_64(const std::string& text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char byte : text) {
        hash ^= byte;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

}  // namespace

bool ignored_by_config_hash(const std::string& key) {
    return key.rfind("output.", 0) == 0 || key == "train.threads" || key == "eval.split";
}

std::string config_hash(const ResolvedConfig& config) {
    // to_toml writes "[section]" headers then "key = value" lines, one key per line.
    std::string hashed, section;
    for (const auto& line : split(to_toml(config, false), '\n')) {
        if (!line.empty() && line.front() == '[') section = line.substr(1, line.size() - 2);
        const auto eq = line.find(" = ");
        if (eq != std::string::npos && ignored_by_config_hash(section + "." + line.substr(0, eq))) continue;
        hashed += line + "\n";
    }
    return fmt::format("{:016x}", fnv1a_64(hashed));
}

}  // namespace sm4
