// The IDX format of MNIST and Fashion-MNIST (unsigned-byte arrays with a big-endian header).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace sm4 {

struct IdxArray {
    std::vector<std::int64_t> dims;   // e.g. [60000, 28, 28]
    std::vector<std::uint8_t> values; // row-major
};

// Reads an unsigned-byte IDX file (plain or .gz) and checks its rank against expected_rank.
// Throws DataError naming the file on a bad magic number, wrong rank or truncated payload.
IdxArray read_idx_ubyte(const std::filesystem::path& path, int expected_rank);

}  // namespace sm4
