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

// MultiBench's raw files (datasets/MULTIBENCH.md): none has a default source.

// AV-MNIST folder (image/, audio/, {train,test}_labels.npy): image [N, 1, 28, 28] in [0, 1] and
// audio spectrogram [N, 1, 112, 112] standardised, 10 classes; the last training examples
// validate (avmnist_validation_count).
TaskDataset convert_avmnist(const std::filesystem::path& source, const Config& config);

// Validation examples held out of `train_examples`: MultiBench's 5,000 (of 60,000), or 1 in 12
// (rounded up) for a source of fewer than 10,000 training examples.
std::int64_t avmnist_validation_count(std::int64_t train_examples);

// The affect pickles ({train, valid, test} of vision, audio, text [N, T, d] and labels): each
// modality [N, 50, d] (aligned to the first word, zeros at the end), binary labels.
TaskDataset convert_mosei(const std::filesystem::path& source, const Config& config);
TaskDataset convert_mosi(const std::filesystem::path& source, const Config& config);
TaskDataset convert_urfunny(const std::filesystem::path& source, const Config& config);
TaskDataset convert_mustard(const std::filesystem::path& source, const Config& config);

// MIMIC im.pk: static table [N, 5] and timeseries [N, 24, 12], both standardised; binary ICD-9
// group 7, split as MultiBench splits it.
TaskDataset convert_mimic(const std::filesystem::path& source, const Config& config);

// ENRICO folder (design_topics.csv, screenshots/*.jpg, wireframes/*.png): screenshot and wireframe
// [N, 3, 256, 128] in [0, 1] (Pillow bilinear resize), design topic classes; MultiBench's
// random.Random(42) 65% / 15% / 20% split.
TaskDataset convert_enrico(const std::filesystem::path& source, const Config& config);

// MuJoCo Push folder (gentle_push_1000 / _10 / _300.hdf5: train / val / test): gripper_pos
// [N, 16, 3], gripper_sensors [N, 16, 7], image [N, 16, 32, 32], control [N, 16, 7]; regression
// target [N, 32]: the object's (x, y) over the 16 steps.
TaskDataset convert_push(const std::filesystem::path& source, const Config& config);

// Vision & Touch folder of episode .h5 files: image [N, 3, H, W] in [0, 1], force [N, 6, 32],
// proprio [N, 8], depth [N, 1, H, W], action [N, 4]; binary contact at the next step. 20% of the
// episodes validate; test repeats them (the dataset has no test split).
TaskDataset convert_vt(const std::filesystem::path& source, const Config& config);

}  // namespace sm4
