// Whole-file reading for converters: plain or gzip-compressed files (zlib reads both), with
// errors that name the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sm4 {

// The file's bytes, decompressed when it is gzip. Throws IoError (missing, unreadable) or
// DataError (corrupt or truncated gzip stream).
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);

// The first existing path among `names` inside `folder`; throws IoError listing what was tried.
std::filesystem::path find_first_existing(const std::filesystem::path& folder, const std::vector<std::string>& names);

}  // namespace sm4
