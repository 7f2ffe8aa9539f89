// Converters from raw sources to the canonical TaskDataset, one per dataset name. Each reads
// `source` (a folder, or the file itself where one file suffices), checks it, and returns the
// dataset with splits and statistics; preprocess.cpp writes it.
#pragma once

#include <filesystem>

#include "core/config.h"
#include "io/task_dataset.h"

namespace sm4 {

// Fashion-MNIST IDX files: image [N, 1, 28, 28] in [0, 1], 10 classes, official test split.
TaskDataset convert_fashion_mnist(const std::filesystem::path& source, const Config& config);

// sklearn's breast_cancer.csv: table [N, 30], binary (0 malignant, 1 benign).
TaskDataset convert_breast_cancer(const std::filesystem::path& source, const Config& config);

// sklearn's wine_data.csv: table [N, 13], 3 classes.
TaskDataset convert_wine(const std::filesystem::path& source, const Config& config);

// sklearn's digits.csv.gz paired with spoken digits from espeak-ng: image [N, 1, 8, 8] in
// [0, 1] and audio log-mel [N, 1, n_mels, frames], 10 classes.
TaskDataset convert_digits_av(const std::filesystem::path& source, const Config& config);

}  // namespace sm4
