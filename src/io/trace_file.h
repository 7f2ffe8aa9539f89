// A run's trace (results/runs/<id>/trace.h5): per-step series such as routing entropy and expert
// load, in extendable chunked HDF5 datasets whose first axis is the logged step. Rows are
// buffered in memory and appended by flush(), which opens, extends and closes the file, so a
// killed run leaves the file as of its last flush, readable by h5py.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sm4 {

struct TraceSeries {
    std::string name;                     // dataset path, e.g. "routing/entropy"
    std::vector<std::int64_t> row_shape;  // shape of one row, e.g. {layers, modalities}; {} = scalar
};

class TraceWriter {
public:
    // Creates `path` with the given series (float32 [0, ...row_shape], extendable) plus an int64
    // "step" series and root attributes (string lists naming the axes: layers, modalities, ...).
    // With resume_after_step, an existing file is reopened instead and rows whose step is larger
    // are dropped (the run is resuming from a checkpoint taken at that step).
    TraceWriter(std::filesystem::path path, std::vector<TraceSeries> series,
                std::map<std::string, std::vector<std::string>> axis_names,
                std::optional<std::int64_t> resume_after_step = std::nullopt);

    // One row: values[i] holds product(series[i].row_shape) floats, row-major.
    void append(std::int64_t step, const std::vector<std::vector<float>>& values);
    void flush();  // throws IoError naming the file
    std::int64_t rows_written() const { return rows_written_; }

private:
    std::filesystem::path path_;
    std::vector<TraceSeries> series_;
    std::vector<std::int64_t> pending_steps_;
    std::vector<std::vector<float>> pending_;  // per series, rows back to back
    std::int64_t rows_written_ = 0;
};

}  // namespace sm4
