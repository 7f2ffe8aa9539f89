#include "io/trace_reader.h"

#include <fmt/format.h>

#include <functional>
#include <numeric>

#include "core/errors.h"
#include "io/hdf5_util.h"

namespace sm4 {

std::int64_t TraceArray::row_size() const {
    return std::accumulate(row_shape.begin(), row_shape.end(), std::int64_t{1}, std::multiplies<>());
}

const std::vector<std::string>& TraceData::axis(const std::string& name) const {
    static const std::vector<std::string> none;
    const auto found = axes.find(name);
    return found == axes.end() ? none : found->second;
}

TraceData read_trace(const std::filesystem::path& path, const std::vector<std::string>& names) {
    if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: no such trace file", path.string()));
    h5::quiet_errors();
    TraceData trace;
    try {
        H5::H5File file(path.string(), H5F_ACC_RDONLY);
        if (!h5::has_attr(file, "sm4_format") || h5::read_string_attr(file, "sm4_format") != "sm4-trace")
            throw IoError(fmt::format("{}: not an sm4 trace (no sm4_format = \"sm4-trace\" attribute)", path.string()));
        for (const char* axis : {"layers", "modalities", "experts", "tasks", "pace_groups"})
            if (h5::has_attr(file, axis)) trace.axes[axis] = h5::read_strings_attr(file, axis);
        H5::DataSet steps = file.openDataSet("step");
        trace.steps.resize(static_cast<std::size_t>(h5::dataset_shape(steps).at(0)));
        if (!trace.steps.empty()) steps.read(trace.steps.data(), H5::PredType::NATIVE_INT64);
        for (const auto& name : names) {
            if (!file.nameExists(name.substr(0, name.find('/'))) || !file.nameExists(name)) continue;
            H5::DataSet dataset = file.openDataSet(name);
            const auto shape = h5::dataset_shape(dataset);
            TraceArray array;
            array.row_shape.assign(shape.begin() + 1, shape.end());
            const auto rows = std::min<std::int64_t>(shape.at(0), trace.rows());  // a killed run may lag one series
            array.values.resize(static_cast<std::size_t>(shape.at(0) * array.row_size()));
            if (!array.values.empty()) dataset.read(array.values.data(), H5::PredType::NATIVE_FLOAT);
            array.values.resize(static_cast<std::size_t>(rows * array.row_size()));
            trace.series[name] = std::move(array);
        }
    } catch (const H5::Exception& e) {
        throw IoError(fmt::format("{}: cannot read the trace: {}", path.string(), e.getDetailMsg()));
    }
    return trace;
}

}  // namespace sm4
