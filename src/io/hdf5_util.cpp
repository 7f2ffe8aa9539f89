#include "io/hdf5_util.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <limits>

#include "core/errors.h"
#include "formats/numpy_array.h"

namespace sm4::h5 {
namespace {

H5::StrType utf8_string_type() {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    return type;
}

std::vector<hsize_t> dims_of(const std::vector<std::int64_t>& shape) {
    return std::vector<hsize_t>(shape.begin(), shape.end());
}

// Chunks of about 1 MiB along the first axis, compressed with shuffle + deflate.
H5::DSetCreatPropList compressed_layout(const std::vector<std::int64_t>& shape, std::size_t element_size) {
    H5::DSetCreatPropList layout;
    if (shape.empty() || shape[0] == 0) return layout;  // empty arrays stay contiguous
    std::int64_t row_bytes = static_cast<std::int64_t>(element_size);
    for (std::size_t i = 1; i < shape.size(); ++i) row_bytes *= std::max<std::int64_t>(shape[i], 1);
    std::vector<hsize_t> chunk = dims_of(shape);
    chunk[0] = static_cast<hsize_t>(std::clamp<std::int64_t>((1 << 20) / row_bytes, 1, shape[0]));
    for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
    layout.setChunk(static_cast<int>(chunk.size()), chunk.data());
    layout.setShuffle();
    layout.setDeflate(4);
    return layout;
}

template <class T>
void write_array(H5::Group& group, const std::string& name, const std::vector<std::int64_t>& shape, const T* values,
                 const H5::PredType& file_type, const H5::PredType& memory_type) {
    const auto dims = dims_of(shape);
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
    H5::DataSet dataset = group.createDataSet(name, file_type, space, compressed_layout(shape, sizeof(T)));
    if (!shape.empty() && shape[0] > 0) dataset.write(values, memory_type);
}

}  // namespace

void quiet_errors() { H5::Exception::dontPrint(); }

H5::Group create_ordered_group(H5::Group& parent, const std::string& name) {
    const hid_t properties = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_creation_order(properties, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    const hid_t id = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, properties, H5P_DEFAULT);
    H5Pclose(properties);
    if (id < 0) throw H5::GroupIException("create_ordered_group", "H5Gcreate2 failed for " + name);
    H5::Group group(id);
    H5Gclose(id);  // H5::Group(id) took its own reference
    return group;
}

void write_attr(H5::H5Object& object, const std::string& name, const std::string& value) {
    const H5::StrType type = utf8_string_type();
    H5::Attribute attr = object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    const char* text = value.c_str();
    attr.write(type, &text);
}

void write_attr(H5::H5Object& object, const std::string& name, std::int64_t value) {
    H5::Attribute attr = object.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR));
    attr.write(H5::PredType::NATIVE_INT64, &value);
}

void write_attr(H5::H5Object& object, const std::string& name, const std::vector<std::string>& values) {
    const H5::StrType type = utf8_string_type();
    const hsize_t count = values.size();
    H5::Attribute attr = object.createAttribute(name, type, H5::DataSpace(1, &count));
    std::vector<const char*> pointers;
    for (const auto& v : values) pointers.push_back(v.c_str());
    if (!pointers.empty()) attr.write(type, pointers.data());
}

bool has_attr(const H5::H5Object& object, const std::string& name) { return object.attrExists(name); }

std::string read_string_attr(const H5::H5Object& object, const std::string& name) {
    H5::Attribute attr = object.openAttribute(name);
    if (attr.getTypeClass() != H5T_STRING) throw H5::AttributeIException("read_string_attr", "not a string");
    std::string value;
    attr.read(attr.getStrType(), value);
    return value;
}

std::int64_t read_int_attr(const H5::H5Object& object, const std::string& name) {
    H5::Attribute attr = object.openAttribute(name);
    if (attr.getTypeClass() != H5T_INTEGER) throw H5::AttributeIException("read_int_attr", "not an integer");
    std::int64_t value = 0;
    attr.read(H5::PredType::NATIVE_INT64, &value);
    return value;
}

std::vector<std::string> read_strings_attr(const H5::H5Object& object, const std::string& name) {
    H5::Attribute attr = object.openAttribute(name);
    if (attr.getTypeClass() != H5T_STRING) throw H5::AttributeIException("read_strings_attr", "not strings");
    const hssize_t count = attr.getSpace().getSimpleExtentNpoints();
    const H5::StrType type = utf8_string_type();
    std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
    if (count > 0) attr.read(type, pointers.data());
    std::vector<std::string> values;
    for (char* p : pointers) {
        values.emplace_back(p ? p : "");
        H5free_memory(p);
    }
    return values;
}

void write_floats(H5::Group& group, const std::string& name, const std::vector<std::int64_t>& shape,
                  const float* values) {
    write_array(group, name, shape, values, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT);
}

void write_int64s(H5::Group& group, const std::string& name, const std::vector<std::int64_t>& shape,
                  const std::int64_t* values) {
    write_array(group, name, shape, values, H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64);
}

std::vector<std::int64_t> dataset_shape(const H5::DataSet& dataset) {
    const H5::DataSpace space = dataset.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    if (!dims.empty()) space.getSimpleExtentDims(dims.data());
    return std::vector<std::int64_t>(dims.begin(), dims.end());
}

namespace {

std::uint64_t physical_memory_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                 : std::numeric_limits<std::uint64_t>::max();
}

std::string byte_text(double bytes) {
    return bytes >= 1e9 ? fmt::format("{:.1f} GB", bytes / 1e9) : fmt::format("{:.0f} bytes", bytes);
}

}  // namespace

std::uint64_t checked_element_count(const H5::DataSet& dataset, std::size_t memory_bytes, const std::string& where) {
    const auto shape = dataset_shape(dataset);
    std::uint64_t elements = 1;
    for (auto d : shape)
        if (d < 0 || __builtin_mul_overflow(elements, static_cast<std::uint64_t>(d), &elements))
            throw DataError(fmt::format("{}: declares shape {}, more elements than 64 bits count", where, shape_text(shape)));
    if (elements == 0) return 0;
    const std::size_t file_element = dataset.getDataType().getSize();
    const double declared = static_cast<double>(elements) * static_cast<double>(file_element);
    const double wanted = static_cast<double>(elements) * static_cast<double>(memory_bytes);
    const double stored = static_cast<double>(dataset.getStorageSize());
    const H5::DSetCreatPropList plist = dataset.getCreatePlist();
    const bool compressed = plist.getLayout() == H5D_CHUNKED && plist.getNfilters() > 0;
    constexpr double kLargestRatio = 1100.0;  // deflate cannot exceed ~1032:1
    if (compressed ? stored * kLargestRatio < declared : stored < declared)
        throw DataError(fmt::format("{}: declares shape {} ({}) but the file holds {} for it{}; refusing to read it",
                                    where, shape_text(shape), byte_text(declared), byte_text(stored),
                                    compressed ? " (compressed, at most 1100x)" : ""));
    const std::uint64_t memory = physical_memory_bytes();
    if (wanted > static_cast<double>(memory))
        throw DataError(fmt::format("{}: declares shape {} ({} in memory), more than this machine's {} of memory",
                                    where, shape_text(shape), byte_text(wanted), byte_text(static_cast<double>(memory))));
    return elements;
}

}  // namespace sm4::h5
