// What sm4 prints for a command line CLI11 refused: one line, and for a word where a command was
// expected, "unknown command 'trian' (did you mean 'train'?)".
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace sm4::cli {

// The message after "sm4: error: " for `error`, raised while `app` parsed the command line.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error);

}  // namespace sm4::cli
