// Reading TOML files the one way every reader of sm4 does: the file's text (a ConfigError naming
// the file when it cannot be opened), then the limits of toml_limits.h, then the parser, whose
// errors become ConfigError "<origin>:<line>:<column>: invalid TOML: ...".
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <toml++/toml.h>

namespace sm4 {

// The whole file; ConfigError "<path>: cannot open <what>" when it cannot be read.
std::string read_toml_file_text(const std::filesystem::path& path, const std::string& what);

// The parsed document, after check_toml_limits.
toml::table parse_toml_text(std::string_view text, const std::string& origin);

}  // namespace sm4
