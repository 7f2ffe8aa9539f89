#include "core/toml_text.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "core/toml_limits.h"

namespace sm4 {

std::string read_toml_file_text(const std::filesystem::path& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(fmt::format("{}: cannot open {}", path.string(), what));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

toml::table parse_toml_text(std::string_view text, const std::string& origin) {
    check_toml_limits(text, origin);
    try {
        return toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        throw ConfigError(fmt::format("{}:{}:{}: invalid TOML: {}", origin, e.source().begin.line,
                                      e.source().begin.column, e.description()));
    }
}

}  // namespace sm4
