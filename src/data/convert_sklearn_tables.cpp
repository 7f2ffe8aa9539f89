#include "core/errors.h"
#include "data/converters.h"
#include "data/csv.h"
#include "data/dataset_builder.h"

namespace sm4 {
namespace {

// `source` is the CSV file itself or the folder holding it.
std::filesystem::path resolve(const std::filesystem::path& source, const char* file_name) {
    std::error_code ec;
    return std::filesystem::is_directory(source, ec) ? source / file_name : source;
}

TaskDataset convert_table(const std::filesystem::path& source, const Config& config, const char* file_name,
                          const char* task, TaskType type, const char* origin) {
    const auto path = resolve(source, file_name);
    LabelledTable table = read_sklearn_csv(path);

    TaskDataset d;
    d.task = task;
    d.task_type = type;
    d.num_outputs = static_cast<std::int64_t>(table.class_names.size());
    d.source = std::string(origin) + ", " + path.string();
    d.class_names = table.class_names;
    d.modalities = {{"table", "table", false, {}, {}}};
    FloatArray features;
    features.shape = {static_cast<std::int64_t>(table.labels.size()), table.features};
    features.values = std::move(table.values);
    const SplitIndices split = stratified_split(table.labels, config.data.val_fraction, config.data.test_fraction,
                                                static_cast<std::uint64_t>(config.data.seed));
    assign_splits(d, {features}, table.labels, split);
    compute_statistics(d, 0, /*apply=*/true);
    return d;
}

}  // namespace

TaskDataset convert_breast_cancer(const std::filesystem::path& source, const Config& config) {
    return convert_table(source, config, "breast_cancer.csv", "breast-cancer", TaskType::Binary,
                         "Breast Cancer Wisconsin (Diagnostic), UCI, as shipped by scikit-learn");
}

TaskDataset convert_wine(const std::filesystem::path& source, const Config& config) {
    return convert_table(source, config, "wine_data.csv", "wine", TaskType::Classification,
                         "Wine recognition, UCI, as shipped by scikit-learn");
}

}  // namespace sm4
