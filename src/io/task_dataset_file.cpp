// Reading and writing TaskDataset as HDF5; the layout is documented in datasets/FORMAT.md.
#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "io/hdf5_util.h"
#include "io/task_dataset.h"

namespace sm4 {
namespace {

constexpr const char* kFormatName = "sm4-dataset";
constexpr std::int64_t kFormatVersion = 1;

void write_split(H5::H5File& file, const TaskDataset& d, Split split) {
    const std::string name = to_string(split);
    const SplitArrays& s = d.split(split);
    H5::Group group = h5::create_ordered_group(file, name);
    for (std::size_t j = 0; j < d.modalities.size(); ++j) {
        const ModalityInfo& info = d.modalities[j];
        h5::write_floats(group, info.name, s.modalities[j].shape, s.modalities[j].values.data());
        H5::DataSet dataset = group.openDataSet(info.name);
        h5::write_attr(dataset, "kind", info.kind);
        h5::write_attr(dataset, "normalization", std::string(info.standardized ? "zscore" : "none"));
    }
    if (has_class_labels(d.task_type)) {
        h5::write_int64s(group, "labels", {s.size()}, s.class_labels.data());
    } else {
        h5::write_floats(group, "labels", s.targets.shape, s.targets.values.data());
    }
}

void write_statistics(H5::H5File& file, const TaskDataset& d) {
    H5::Group root = h5::create_ordered_group(file, "normalization");
    for (const auto& m : d.modalities) {
        if (m.mean.empty()) continue;
        H5::Group group = root.createGroup(m.name);
        const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(m.mean.size())};
        h5::write_floats(group, "mean", shape, m.mean.data());
        h5::write_floats(group, "std", shape, m.std.data());
        h5::write_attr(group, "applied", std::int64_t{m.standardized ? 1 : 0});
    }
}

FloatArray read_floats(const H5::Group& group, const std::string& name, bool load, const std::string& where) {
    if (!group.nameExists(name)) throw DataError(fmt::format("{}: dataset '{}' is missing", where, name));
    H5::DataSet dataset = group.openDataSet(name);
    if (dataset.getTypeClass() != H5T_FLOAT)
        throw DataError(fmt::format("{}/{}: expected float32 values", where, name));
    FloatArray array;
    array.shape = h5::dataset_shape(dataset);
    if (load) {
        array.values.resize(h5::checked_element_count(dataset, sizeof(float), where + "/" + name));
        if (!array.values.empty()) dataset.read(array.values.data(), H5::PredType::NATIVE_FLOAT);
    }
    return array;
}

std::vector<std::int64_t> read_class_labels(const H5::Group& group, const std::string& where) {
    if (!group.nameExists("labels")) throw DataError(fmt::format("{}: dataset 'labels' is missing", where));
    H5::DataSet dataset = group.openDataSet("labels");
    const auto shape = h5::dataset_shape(dataset);
    if (dataset.getTypeClass() != H5T_INTEGER || shape.size() != 1)
        throw DataError(fmt::format("{}/labels: expected int64 class labels shaped [N]", where));
    std::vector<std::int64_t> labels(h5::checked_element_count(dataset, sizeof(std::int64_t), where + "/labels"));
    if (!labels.empty()) dataset.read(labels.data(), H5::PredType::NATIVE_INT64);
    return labels;
}

void read_split(const H5::H5File& file, TaskDataset& d, Split split, bool load, const std::string& path) {
    const std::string name = to_string(split);
    const std::string where = path + ":/" + name;
    if (!file.nameExists(name)) throw DataError(fmt::format("{}: group '{}' is missing", path, name));
    H5::Group group = file.openGroup(name);
    SplitArrays& s = d.split(split);
    for (std::size_t j = 0; j < d.modalities.size(); ++j) {
        ModalityInfo& info = d.modalities[j];
        s.modalities.push_back(read_floats(group, info.name, load, where));
        H5::DataSet dataset = group.openDataSet(info.name);
        const std::string kind = h5::has_attr(dataset, "kind") ? h5::read_string_attr(dataset, "kind") : "";
        if (kind.empty()) throw DataError(fmt::format("{}/{}: attribute 'kind' is missing", where, info.name));
        if (split == Split::Train) info.kind = kind;
        else if (kind != info.kind)
            throw DataError(fmt::format("{}/{}: kind '{}' disagrees with the train split's '{}'", where, info.name, kind,
                                        info.kind));
        if (split == Split::Train && h5::has_attr(dataset, "normalization"))
            info.standardized = h5::read_string_attr(dataset, "normalization") == "zscore";
    }
    if (has_class_labels(d.task_type)) s.class_labels = read_class_labels(group, where);
    else s.targets = read_floats(group, "labels", true, where);
}

void read_statistics(const H5::H5File& file, TaskDataset& d, const std::string& path) {
    if (!file.nameExists("normalization")) return;
    H5::Group root = file.openGroup("normalization");
    for (auto& m : d.modalities) {
        if (!root.nameExists(m.name)) continue;
        H5::Group group = root.openGroup(m.name);
        const std::string where = path + ":/normalization/" + m.name;
        m.mean = read_floats(group, "mean", true, where).values;
        m.std = read_floats(group, "std", true, where).values;
    }
}

}  // namespace

void write_task_dataset(const TaskDataset& d, const std::filesystem::path& path) {
    validate_task_dataset(d, path.string());
    h5::quiet_errors();
    AtomicFile output(path);
    try {
        H5::H5File file(output.temp_path().string(), H5F_ACC_TRUNC);
        h5::write_attr(file, "sm4_format", std::string(kFormatName));
        h5::write_attr(file, "format_version", kFormatVersion);
        h5::write_attr(file, "task", d.task);
        h5::write_attr(file, "task_type", to_string(d.task_type));
        h5::write_attr(file, "num_outputs", d.num_outputs);
        h5::write_attr(file, "source", d.source);
        std::vector<std::string> names;
        for (const auto& m : d.modalities) names.push_back(m.name);
        h5::write_attr(file, "modalities", names);
        if (!d.class_names.empty()) h5::write_attr(file, "class_names", d.class_names);
        h5::write_attr(file, "seed", d.seed);
        h5::write_attr(file, "created_by", d.created_by);
        for (const Split split : kSplits) write_split(file, d, split);
        write_statistics(file, d);
        file.close();
    } catch (const H5::Exception& e) {
        throw IoError(fmt::format("{}: writing the dataset failed: {} ({})", path.string(), e.getDetailMsg(),
                                  e.getFuncName()));
    }
    output.commit();
}

TaskDataset read_task_dataset(const std::filesystem::path& path, bool load_arrays) {
    h5::quiet_errors();
    const std::string where = path.string();
    if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: no such dataset file", where));
    TaskDataset d;
    try {
        if (!H5::H5File::isHdf5(where)) throw DataError(fmt::format("{}: not an HDF5 file", where));
        H5::H5File file(where, H5F_ACC_RDONLY);
        for (const char* required : {"sm4_format", "format_version", "task", "task_type", "num_outputs", "modalities"})
            if (!h5::has_attr(file, required))
                throw DataError(fmt::format("{}: root attribute '{}' is missing (is this an sm4 dataset?)", where,
                                            required));
        if (h5::read_string_attr(file, "sm4_format") != kFormatName)
            throw DataError(fmt::format("{}: attribute sm4_format is not '{}'", where, kFormatName));
        const auto version = h5::read_int_attr(file, "format_version");
        if (version != kFormatVersion)
            throw DataError(fmt::format("{}: format_version {} is not supported (this sm4 reads {})", where, version,
                                        kFormatVersion));
        d.task = h5::read_string_attr(file, "task");
        d.task_type = parse_task_type(h5::read_string_attr(file, "task_type"), where);
        d.num_outputs = h5::read_int_attr(file, "num_outputs");
        d.source = h5::has_attr(file, "source") ? h5::read_string_attr(file, "source") : "";
        if (h5::has_attr(file, "class_names")) d.class_names = h5::read_strings_attr(file, "class_names");
        if (h5::has_attr(file, "seed")) d.seed = h5::read_int_attr(file, "seed");
        if (h5::has_attr(file, "created_by")) d.created_by = h5::read_string_attr(file, "created_by");
        for (const auto& name : h5::read_strings_attr(file, "modalities")) d.modalities.push_back({name, "", false, {}, {}});
        for (const Split split : kSplits) read_split(file, d, split, load_arrays, where);
        read_statistics(file, d, where);
    } catch (const H5::Exception& e) {
        throw DataError(fmt::format("{}: cannot read the dataset: {} ({})", where, e.getDetailMsg(), e.getFuncName()));
    } catch (const std::bad_alloc&) {
        throw DataError(fmt::format("{}: not enough memory to read the dataset's arrays", where));
    }
    validate_task_dataset(d, where, load_arrays);
    return d;
}

}  // namespace sm4
