// Runs the sm4 binary (or any shell command) and captures its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace sm4::test {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline CommandResult run_command(const std::string& command) {
    TempDir capture;
    const auto out = capture / "stdout", err = capture / "stderr";
    const std::string full = command + " >" + out.string() + " 2>" + err.string() + " </dev/null";
    const int status = std::system(full.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = slurp(out);
    result.err = slurp(err);
    return result;
}

inline CommandResult run_sm4(const std::string& arguments) {
    return run_command(std::string("SM4_NO_PROGRESS=1 ") + SM4_BINARY + " " + arguments);
}

}  // namespace sm4::test
