#include "data/h5_source.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "io/hdf5_util.h"
#include "formats/numpy_array.h"

namespace sm4 {

std::int64_t H5Array::row_size() const {
    std::int64_t size = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) size *= shape[i];
    return size;
}

H5Source::H5Source(const std::filesystem::path& path) : path_(path) {
    h5::quiet_errors();
    try {
        if (!H5::H5File::isHdf5(path.string()))
            throw DataError(fmt::format("{}: not an HDF5 file", path.string()));
        file_.openFile(path.string(), H5F_ACC_RDONLY);
    } catch (const H5::Exception&) {
        throw DataError(fmt::format("{}: not a readable HDF5 file (truncated or corrupt?)", path.string()));
    }
}

std::vector<std::string> H5Source::members(const std::string& group) const {
    try {
        const H5::Group g = file_.openGroup(group.empty() ? "/" : group);
        std::vector<std::string> names;
        for (hsize_t i = 0; i < g.getNumObjs(); ++i) names.push_back(g.getObjnameByIdx(i));
        return names;
    } catch (const H5::Exception&) {
        throw DataError(fmt::format("{}: no group '{}'", path_.string(), group));
    }
}

bool H5Source::has(const std::string& key) const {
    try {
        return file_.nameExists(key);
    } catch (const H5::Exception&) {
        return false;
    }
}

H5Array H5Source::read(const std::string& key) const {
    H5Array out;
    out.source = fmt::format("{}: {}", path_.string(), key);
    if (!has(key)) throw DataError(fmt::format("{}: no key '{}'", path_.string(), key));
    try {
        const H5::DataSet dataset = file_.openDataSet(key);
        const H5T_class_t type = dataset.getTypeClass();
        if (type != H5T_FLOAT && type != H5T_INTEGER)
            throw DataError(fmt::format("{}: not a numeric array", out.source));
        out.shape = h5::dataset_shape(dataset);
        const std::uint64_t count = h5::checked_element_count(dataset, sizeof(double), out.source);
        out.values.resize(static_cast<std::size_t>(count));
        if (count > 0) dataset.read(out.values.data(), H5::PredType::NATIVE_DOUBLE);
    } catch (const H5::Exception&) {
        throw DataError(fmt::format("{}: cannot be read as a numeric array (truncated file?)", out.source));
    }
    return out;
}

void require_shape(const H5Array& array, bool ok, const std::string& expected) {
    if (!ok) throw DataError(fmt::format("{}: shape {}, expected {}", array.source, shape_text(array.shape), expected));
}

}  // namespace sm4
