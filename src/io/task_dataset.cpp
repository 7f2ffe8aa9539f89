#include "io/task_dataset.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "core/errors.h"

namespace sm4 {

std::int64_t FloatArray::row_size() const {
    std::int64_t size = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) size *= shape[i];
    return size;
}

std::int64_t SplitArrays::size() const {
    if (!modalities.empty()) return modalities.front().rows();
    return static_cast<std::int64_t>(class_labels.size());
}

const SplitArrays& TaskDataset::split(Split which) const { return split_member(*this, which); }

SplitArrays& TaskDataset::split(Split which) { return split_member(*this, which); }

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
    return fmt::format("[{}]", fmt::join(shape, ", "));
}

void validate_values(const FloatArray& array, const ModalityInfo& info, const std::string& where) {
    const std::int64_t expected = array.rows() * array.row_size();
    if (static_cast<std::int64_t>(array.values.size()) != expected)
        throw DataError(fmt::format("{}: holds {} values, but its shape {} needs {}", where, array.values.size(),
                                    shape_text(array.shape), expected));
    const bool unit_range = info.kind == "image" && !info.standardized;
    for (std::size_t i = 0; i < array.values.size(); ++i) {
        const float v = array.values[i];
        if (!std::isfinite(v))
            throw DataError(fmt::format("{}: value {} at flat index {} is not finite", where, v, i));
        if (unit_range && (v < 0.0f || v > 1.0f))
            throw DataError(fmt::format("{}: image value {} at flat index {} is outside [0, 1]", where, v, i));
    }
}

void validate_labels(const TaskDataset& d, const SplitArrays& s, const std::string& where) {
    if (has_class_labels(d.task_type)) {
        if (static_cast<std::int64_t>(s.class_labels.size()) != s.size())
            throw DataError(fmt::format("{}/labels: {} labels for {} examples", where, s.class_labels.size(), s.size()));
        for (std::size_t i = 0; i < s.class_labels.size(); ++i) {
            const auto label = s.class_labels[i];
            if (label < 0 || label >= d.num_outputs)
                throw DataError(fmt::format("{}/labels: label {} of example {} is outside [0, {})", where, label, i,
                                            d.num_outputs));
        }
        return;
    }
    const auto& t = s.targets;
    if (t.shape.size() != 2 || t.shape[0] != s.size() || t.shape[1] != d.num_outputs)
        throw DataError(fmt::format("{}/labels: shape {} but expected [{}, {}]", where, shape_text(t.shape), s.size(),
                                    d.num_outputs));
    for (std::size_t i = 0; i < t.values.size(); ++i) {
        const float v = t.values[i];
        if (!std::isfinite(v)) throw DataError(fmt::format("{}/labels: target at flat index {} is not finite", where, i));
        if (d.task_type == TaskType::Multilabel && v != 0.0f && v != 1.0f)
            throw DataError(fmt::format("{}/labels: multilabel target {} at flat index {} is not 0 or 1", where, v, i));
    }
}

}  // namespace

void validate_task_dataset(const TaskDataset& d, const std::string& where, bool arrays_loaded) {
    if (d.task.empty()) throw DataError(fmt::format("{}: the task name is empty", where));
    if (d.num_outputs < 1) throw DataError(fmt::format("{}: num_outputs must be at least 1, found {}", where, d.num_outputs));
    if (d.task_type == TaskType::Binary && d.num_outputs != 2)
        throw DataError(fmt::format("{}: a binary task has num_outputs = 2, found {}", where, d.num_outputs));
    if (!d.class_names.empty() && static_cast<std::int64_t>(d.class_names.size()) != d.num_outputs)
        throw DataError(fmt::format("{}: {} class names for {} outputs", where, d.class_names.size(), d.num_outputs));
    if (d.modalities.empty()) throw DataError(fmt::format("{}: a task needs at least one modality", where));

    std::set<std::string> names;
    for (const auto& m : d.modalities) {
        if (m.name.empty() || m.name.find('/') != std::string::npos || m.name == "labels")
            throw DataError(fmt::format("{}: invalid modality name '{}'", where, m.name));
        if (!names.insert(m.name).second) throw DataError(fmt::format("{}: modality '{}' appears twice", where, m.name));
        if (m.kind.empty()) throw DataError(fmt::format("{}: modality '{}' has no kind", where, m.name));
        if (m.mean.size() != m.std.size())
            throw DataError(fmt::format("{}: modality '{}' has {} means but {} deviations", where, m.name,
                                        m.mean.size(), m.std.size()));
    }

    for (const Split split : kSplits) {
        const SplitArrays& s = d.split(split);
        const std::string split_where = where + ":/" + to_string(split);
        if (s.modalities.size() != d.modalities.size())
            throw DataError(fmt::format("{}: {} modality arrays for {} modalities", split_where, s.modalities.size(),
                                        d.modalities.size()));
        if (split == Split::Train && s.size() == 0) throw DataError(fmt::format("{}: the train split is empty", split_where));
        for (std::size_t j = 0; j < d.modalities.size(); ++j) {
            const FloatArray& a = s.modalities[j];
            const ModalityInfo& info = d.modalities[j];
            const std::string array_where = split_where + "/" + info.name;
            if (a.shape.size() < 2 || a.shape.size() > 5)
                throw DataError(fmt::format("{}: shape {} must be [N, ...] with 1 to 4 feature axes", array_where,
                                            shape_text(a.shape)));
            if (a.rows() != s.size())
                throw DataError(fmt::format("{}: {} rows but the split has {} examples", array_where, a.rows(), s.size()));
            const FloatArray& reference = d.train.modalities[j];
            if (!std::equal(a.shape.begin() + 1, a.shape.end(), reference.shape.begin() + 1, reference.shape.end()))
                throw DataError(fmt::format("{}: shape {} disagrees with the train split's {}", array_where,
                                            shape_text(a.shape), shape_text(reference.shape)));
            if (arrays_loaded) validate_values(a, info, array_where);
        }
        validate_labels(d, s, split_where);
    }
}

}  // namespace sm4
