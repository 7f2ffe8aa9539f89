#include "io/trace_file.h"

#include <fmt/format.h>

#include <numeric>

#include "core/errors.h"
#include "io/hdf5_util.h"

namespace sm4 {
namespace {

std::int64_t row_size(const TraceSeries& s) {
    return std::accumulate(s.row_shape.begin(), s.row_shape.end(), std::int64_t{1}, std::multiplies<>());
}

// Opens the group holding dataset "a/b/c" (here a/b) inside `file`, creating missing groups.
H5::Group parent_group(H5::H5File& file, const std::string& name) {
    std::string path;
    std::size_t start = 0;
    for (std::size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', start)) {
        const std::string part = name.substr(start, slash - start);
        const std::string parent = path.empty() ? "/" : path;
        path += "/" + part;
        if (!file.nameExists(path)) {
            H5::Group above = file.openGroup(parent);
            h5::create_ordered_group(above, part);
        }
        start = slash + 1;
    }
    return file.openGroup(path.empty() ? "/" : path);
}

std::string leaf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

void create_extendable(H5::H5File& file, const std::string& name, const std::vector<std::int64_t>& row_shape,
                       const H5::PredType& type) {
    std::vector<hsize_t> dims = {0}, max_dims = {H5S_UNLIMITED}, chunk = {256};
    for (auto d : row_shape) {
        dims.push_back(static_cast<hsize_t>(d));
        max_dims.push_back(static_cast<hsize_t>(d));
        chunk.push_back(static_cast<hsize_t>(std::max<std::int64_t>(d, 1)));
    }
    H5::DSetCreatPropList layout;
    layout.setChunk(static_cast<int>(chunk.size()), chunk.data());
    layout.setDeflate(4);
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), max_dims.data());
    H5::Group group = parent_group(file, name);
    group.createDataSet(leaf(name), type, space, layout);
}

// Appends `rows` rows to an extendable dataset.
void append_rows(H5::DataSet& dataset, const void* data, std::int64_t rows, const H5::PredType& memory_type) {
    if (rows == 0) return;
    H5::DataSpace space = dataset.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    space.getSimpleExtentDims(dims.data());
    const hsize_t old_rows = dims[0];
    dims[0] += static_cast<hsize_t>(rows);
    dataset.extend(dims.data());
    H5::DataSpace file_space = dataset.getSpace();
    std::vector<hsize_t> offset(dims.size(), 0), count = dims;
    offset[0] = old_rows;
    count[0] = static_cast<hsize_t>(rows);
    file_space.selectHyperslab(H5S_SELECT_SET, count.data(), offset.data());
    H5::DataSpace memory_space(static_cast<int>(count.size()), count.data());
    dataset.write(data, memory_type, memory_space, file_space);
}

void shrink_rows(H5::DataSet& dataset, hsize_t rows) {
    H5::DataSpace space = dataset.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    space.getSimpleExtentDims(dims.data());
    dims[0] = std::min(dims[0], rows);
    dataset.extend(dims.data());  // H5Dset_extent: shrinking drops the trailing rows
}

}  // namespace

TraceWriter::TraceWriter(std::filesystem::path path, std::vector<TraceSeries> series,
                         std::map<std::string, std::vector<std::string>> axis_names,
                         std::optional<std::int64_t> resume_after_step)
    : path_(std::move(path)), series_(std::move(series)), pending_(series_.size()) {
    h5::quiet_errors();
    try {
        if (resume_after_step && std::filesystem::exists(path_)) {
            H5::H5File file(path_.string(), H5F_ACC_RDWR);
            H5::DataSet steps = file.openDataSet("step");
            const auto shape = h5::dataset_shape(steps);
            std::vector<std::int64_t> values(static_cast<std::size_t>(shape[0]));
            if (!values.empty()) steps.read(values.data(), H5::PredType::NATIVE_INT64);
            hsize_t keep = 0;
            while (keep < values.size() && values[keep] <= *resume_after_step) ++keep;
            shrink_rows(steps, keep);
            for (const auto& s : series_) {
                H5::DataSet dataset = file.openDataSet(s.name);
                shrink_rows(dataset, keep);
            }
            rows_written_ = static_cast<std::int64_t>(keep);
            return;
        }
        std::filesystem::create_directories(path_.parent_path());
        H5::H5File file(path_.string(), H5F_ACC_TRUNC);
        h5::write_attr(file, "sm4_format", std::string("sm4-trace"));
        h5::write_attr(file, "format_version", std::int64_t{1});
        for (const auto& [name, labels] : axis_names) h5::write_attr(file, name, labels);
        create_extendable(file, "step", {}, H5::PredType::STD_I64LE);
        for (const auto& s : series_) create_extendable(file, s.name, s.row_shape, H5::PredType::IEEE_F32LE);
    } catch (const H5::Exception& e) {
        throw IoError(fmt::format("{}: cannot prepare the trace: {}", path_.string(), e.getDetailMsg()));
    }
}

void TraceWriter::append(std::int64_t step, const std::vector<std::vector<float>>& values) {
    if (values.size() != series_.size())
        throw IoError(fmt::format("{}: a trace row needs {} series, got {}", path_.string(), series_.size(), values.size()));
    for (std::size_t i = 0; i < series_.size(); ++i) {
        if (static_cast<std::int64_t>(values[i].size()) != row_size(series_[i]))
            throw IoError(fmt::format("{}: series {} needs {} values per row, got {}", path_.string(), series_[i].name,
                                      row_size(series_[i]), values[i].size()));
        pending_[i].insert(pending_[i].end(), values[i].begin(), values[i].end());
    }
    pending_steps_.push_back(step);
}

void TraceWriter::flush() {
    if (pending_steps_.empty()) return;
    const auto rows = static_cast<std::int64_t>(pending_steps_.size());
    try {
        H5::H5File file(path_.string(), H5F_ACC_RDWR);
        H5::DataSet steps = file.openDataSet("step");
        append_rows(steps, pending_steps_.data(), rows, H5::PredType::NATIVE_INT64);
        for (std::size_t i = 0; i < series_.size(); ++i) {
            H5::DataSet dataset = file.openDataSet(series_[i].name);
            append_rows(dataset, pending_[i].data(), rows, H5::PredType::NATIVE_FLOAT);
        }
        file.close();
    } catch (const H5::Exception& e) {
        throw IoError(fmt::format("{}: cannot append to the trace: {}", path_.string(), e.getDetailMsg()));
    }
    rows_written_ += rows;
    pending_steps_.clear();
    for (auto& p : pending_) p.clear();
}

}  // namespace sm4
