// A minimal ZIP reader, enough for numpy's .npz archives: the central directory (ZIP64 records
// and extra fields included, which np.savez writes for every member), stored and deflated
// members, CRC-32 checked. No encryption, no multi-disk archives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/byte_source.h"

namespace sm4 {

struct ZipMember {
    std::string name;
    std::uint16_t method = 0;  // 0 stored, 8 deflate
    std::uint16_t flags = 0;
    std::uint32_t crc32 = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint64_t local_header_offset = 0;
};

class ZipArchive {
public:
    // Reads the central directory. Throws IoError when the file cannot be read, DataError naming
    // the file when it is not a ZIP archive or its directory is corrupt.
    explicit ZipArchive(std::filesystem::path path);

    const std::filesystem::path& path() const { return path_; }
    const std::vector<ZipMember>& members() const { return members_; }
    std::vector<std::string> member_names() const;
    const ZipMember* find(std::string_view name) const;  // nullptr when absent

    // The member's uncompressed bytes, read (and inflated) on demand. Reading to the end checks
    // the size and CRC-32 and throws DataError naming "<archive>/<member>" on a mismatch.
    std::unique_ptr<ByteSource> open(const ZipMember& member) const;

private:
    std::filesystem::path path_;
    std::uint64_t file_size_ = 0;
    std::vector<ZipMember> members_;
};

}  // namespace sm4
