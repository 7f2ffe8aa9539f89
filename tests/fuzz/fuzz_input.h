// Shared by the libFuzzer targets (scripts/fuzz.sh): readers that take a path get the input
// written to a file of this process's own, and a refusal (sm4::Error) is the expected outcome
// of a bad input. Anything else escaping a reader (a crash, a leak, std::bad_alloc, any other
// exception, more than a second) is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace sm4::fuzz {

// The input as the file <tmp>/sm4-fuzz-<pid>/input<extension>, rewritten for every input.
inline std::filesystem::path input_file(const std::uint8_t* data, std::size_t size, const std::string& extension) {
    static const std::filesystem::path folder = [] {
        auto dir = std::filesystem::temp_directory_path() / ("sm4-fuzz-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir);
        return dir;
    }();
    const auto path = folder / ("input" + extension);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

}  // namespace sm4::fuzz
