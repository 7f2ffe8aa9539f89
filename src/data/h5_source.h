// Reading the raw HDF5 files of MultiBench's robotics datasets (gentle_push_*.hdf5, the Vision &
// Touch episodes): any numeric dataset as float64 with its shape, and errors that name the file
// and the key path instead of HDF5's error stack.
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sm4 {

// A numeric dataset read from an HDF5 file; float32, float64 and integer data are exact.
struct H5Array {
    std::vector<std::int64_t> shape;
    std::vector<double> values;  // row-major
    std::string source;          // "file.h5: trajectory0/eef_pos", for messages

    std::int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
    std::int64_t row_size() const;  // product of shape[1:]
};

class H5Source {
public:
    // DataError "<path>: not a readable HDF5 file" for a truncated or foreign file.
    explicit H5Source(const std::filesystem::path& path);

    // Member names of a group ("" is the root), sorted as HDF5 lists them (by name).
    std::vector<std::string> members(const std::string& group) const;
    bool has(const std::string& key) const;
    // DataError naming the file and key when it is missing, not a dataset, or not numeric.
    H5Array read(const std::string& key) const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    H5::H5File file_;
};

// DataError "<source>: shape [..], expected <expected>" unless `ok`.
void require_shape(const H5Array& array, bool ok, const std::string& expected);

}  // namespace sm4
