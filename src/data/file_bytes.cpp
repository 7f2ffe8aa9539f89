#include "data/file_bytes.h"

#include <fmt/format.h>
#include <zlib.h>

#include "core/errors.h"
#include "core/text.h"

namespace sm4 {

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw IoError(fmt::format("{}: no such file", path.string()));
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file) throw IoError(fmt::format("{}: cannot open", path.string()));
    std::vector<std::uint8_t> bytes;
    std::uint8_t buffer[1 << 16];
    while (true) {
        const int n = gzread(file, buffer, sizeof buffer);
        if (n < 0) {
            int code = 0;
            const std::string message = gzerror(file, &code);
            gzclose(file);
            throw DataError(fmt::format("{}: corrupt compressed data: {}", path.string(), message));
        }
        if (n == 0) break;
        bytes.insert(bytes.end(), buffer, buffer + n);
    }
    // gzread stops quietly at a truncated stream; gzclose_r reports it.
    int code = 0;
    const std::string message = gzerror(file, &code);
    const int close_status = gzclose(file);
    if (code != Z_OK || close_status != Z_OK)
        throw DataError(fmt::format("{}: truncated or corrupt compressed data{}", path.string(),
                                    message.empty() ? "" : ": " + message));
    return bytes;
}

std::filesystem::path find_first_existing(const std::filesystem::path& folder, const std::vector<std::string>& names) {
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        throw IoError(fmt::format("{}: source folder does not exist", folder.string()));
    for (const auto& name : names)
        if (std::filesystem::exists(folder / name, ec)) return folder / name;
    throw IoError(fmt::format("{}: none of {} found", folder.string(), join(names, ", ")));
}

}  // namespace sm4
