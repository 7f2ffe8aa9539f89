// One task of the canonical sm4 dataset format (datasets/FORMAT.md), held in memory. This is the
// contract between `sm4 preprocess` and everything that trains or evaluates; it has no LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/task_type.h"

namespace sm4 {

// A dense float32 array in row-major order.
struct FloatArray {
    std::vector<std::int64_t> shape;  // [N, ...]
    std::vector<float> values;        // empty when only the header was read

    std::int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
    std::int64_t row_size() const;    // product of shape[1:]
};

struct ModalityInfo {
    std::string name;                 // dataset name inside each split, e.g. "image"
    std::string kind;                 // image, audio, text, table, timeseries, video, ...
    bool standardized = false;        // stored values are (x - mean) / std
    std::vector<float> mean;          // train-split statistics, one per channel (rank 4) or
    std::vector<float> std;           // per feature of the last axis (rank 2 and 3)
};

struct SplitArrays {
    std::vector<FloatArray> modalities;       // same order as TaskDataset::modalities
    std::vector<std::int64_t> class_labels;   // classification and binary: [N]
    FloatArray targets;                       // regression and multilabel: [N, num_outputs]

    std::int64_t size() const;
};

struct TaskDataset {
    std::string task;
    TaskType task_type = TaskType::Classification;
    std::int64_t num_outputs = 0;             // classes, or output dimensions
    std::string source;                       // where the data came from
    std::vector<std::string> class_names;     // optional; num_outputs names when present
    std::int64_t seed = 0;                    // seed of the splits (and synthesis) that made it
    std::string created_by;                   // sm4 version and revision that wrote it
    std::vector<ModalityInfo> modalities;
    SplitArrays train, val, test;

    const SplitArrays& split(Split which) const;
    SplitArrays& split(Split which);
};

// Checks every rule of the format (shapes agree across modalities and splits, labels in range,
// values finite, images in [0, 1], ...). `where` prefixes messages (usually the file path).
// Throws DataError naming the split, modality or label that breaks a rule. With arrays_loaded
// false (a header-only read) the modality values are not checked; labels always are.
void validate_task_dataset(const TaskDataset& dataset, const std::string& where, bool arrays_loaded = true);

// Writes the dataset to `path` atomically (temporary name, then rename) after validating it.
void write_task_dataset(const TaskDataset& dataset, const std::filesystem::path& path);

// Reads and validates a dataset file. With load_arrays false only attributes, statistics and
// shapes and labels are read (FloatArray::values of the modalities stay empty).
TaskDataset read_task_dataset(const std::filesystem::path& path, bool load_arrays = true);

}  // namespace sm4
