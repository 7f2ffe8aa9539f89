// Reads a run's trace (results/runs/<id>/trace.h5, written by TraceWriter): the logged steps,
// the axis names and the float series `sm4 report` plots. Only reads; never needs LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sm4 {

// One float32 series: `values` holds rows * product(row_shape) numbers, row-major.
struct TraceArray {
    std::vector<std::int64_t> row_shape;  // shape of one row, e.g. {layers, modalities}
    std::vector<float> values;
    std::int64_t row_size() const;
    float at(std::int64_t row, std::int64_t index) const { return values[static_cast<std::size_t>(row * row_size() + index)]; }
};

struct TraceData {
    std::vector<std::int64_t> steps;                           // [rows] global step of each row
    std::map<std::string, std::vector<std::string>> axes;     // root attributes: layers, modalities, experts, tasks, pace_groups
    std::map<std::string, TraceArray> series;                  // by dataset path, e.g. "routing/entropy"

    std::int64_t rows() const { return static_cast<std::int64_t>(steps.size()); }
    bool has(const std::string& name) const { return series.count(name) > 0; }
    const std::vector<std::string>& axis(const std::string& name) const;  // empty when missing
};

// Reads every float series among `names` that the file has (missing ones are left out: the dense
// backbone has no routing datasets). IoError naming the file when it is missing, is not an sm4
// trace or cannot be read.
TraceData read_trace(const std::filesystem::path& path, const std::vector<std::string>& names);

}  // namespace sm4
