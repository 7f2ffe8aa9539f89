// `sm4 preprocess`: the registry of dataset converters and the one entry point that runs one.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/table.h"
#include "core/json.h"
#include "io/task_dataset.h"

namespace sm4 {

struct DatasetConverter {
    std::string name;                      // what users type: "fashion-mnist"
    std::string description;               // one line for --help
    std::filesystem::path default_source;  // used when --src is not given
    std::function<TaskDataset(const std::filesystem::path&, const Config&)> convert;
};

const std::vector<DatasetConverter>& dataset_converters();

// The converter called `name`; UsageError listing the known names (and the closest) otherwise.
const DatasetConverter& find_converter(const std::string& name);

struct PreprocessResult {
    TaskDataset dataset;   // as written
    std::filesystem::path output;
    double seconds = 0.0;
};

// Converts `name` from `source` (empty: the converter's default) and writes it atomically to
// `output` (empty: <data.root>/<name>.h5). Nothing is left at `output` when anything fails.
PreprocessResult preprocess_dataset(const std::string& name, const std::filesystem::path& source,
                                    const std::filesystem::path& output, const Config& config);

// One row per modality: name, kind, example shape, whether values are standardised.
Table modality_table(const TaskDataset& dataset);

// A human-readable summary: task, type, splits, then the modality table.
std::string describe_dataset(const TaskDataset& dataset);
// The same as one JSON document: task, task_type, num_outputs, class_names, source, seed,
// created_by, examples {train, val, test}, modalities [{name, kind, example_shape, standardized}].
Json dataset_json(const TaskDataset& dataset);

}  // namespace sm4
