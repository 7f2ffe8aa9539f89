#include "data/idx.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "data/file_bytes.h"

namespace sm4 {

IdxArray read_idx_ubyte(const std::filesystem::path& path, int expected_rank) {
    const std::vector<std::uint8_t> bytes = read_file_bytes(path);
    const std::string where = path.string();
    if (bytes.size() < 4) throw DataError(fmt::format("{}: {} bytes is too short for an IDX header", where, bytes.size()));
    // Magic: two zero bytes, a type code (0x08 = unsigned byte), the rank.
    if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
        throw DataError(fmt::format("{}: not an unsigned-byte IDX file (magic {:02x}{:02x}{:02x}{:02x})", where,
                                    bytes[0], bytes[1], bytes[2], bytes[3]));
    const int rank = bytes[3];
    if (rank != expected_rank)
        throw DataError(fmt::format("{}: IDX rank {} but expected {}", where, rank, expected_rank));
    const std::size_t header = 4 + 4 * static_cast<std::size_t>(rank);
    if (bytes.size() < header) throw DataError(fmt::format("{}: truncated IDX header", where));

    IdxArray array;
    std::size_t count = 1;
    for (int i = 0; i < rank; ++i) {
        const std::uint8_t* p = bytes.data() + 4 + 4 * i;
        const std::int64_t dim = (std::int64_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
        array.dims.push_back(dim);
        count *= static_cast<std::size_t>(dim);
    }
    if (bytes.size() - header != count)
        throw DataError(fmt::format("{}: header promises {} values but the file holds {} (truncated or corrupt)", where,
                                    count, bytes.size() - header));
    array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return array;
}

}  // namespace sm4
