// Each bundled converter on the real data Debian ships.
#include <catch.hpp>

#include <cmath>
#include <numeric>

#include "core/config_loader.h"
#include "data/preprocess.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

Config config_with(const std::vector<std::string>& overrides = {}) { return load_config({}, overrides).values; }

std::vector<std::int64_t> class_counts(const TaskDataset& d) {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(d.num_outputs));
    for (const Split split : kSplits)
        for (auto label : d.split(split).class_labels) ++counts[static_cast<std::size_t>(label)];
    return counts;
}

std::pair<float, float> value_range(const TaskDataset& d, std::size_t modality) {
    float lo = INFINITY, hi = -INFINITY;
    for (const Split split : kSplits)
        for (float v : d.split(split).modalities[modality].values) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    return {lo, hi};
}

// Mean and standard deviation of the train split of a standardised modality, per feature 0.
std::pair<double, double> train_moments(const TaskDataset& d, std::size_t modality, std::int64_t features) {
    const auto& v = d.train.modalities[modality].values;
    double sum = 0, squares = 0;
    std::int64_t n = 0;
    for (std::size_t i = 0; i < v.size(); i += static_cast<std::size_t>(features), ++n) {
        sum += v[i];
        squares += v[i] * v[i];
    }
    const double mean = sum / n;
    return {mean, std::sqrt(squares / n - mean * mean)};
}

void check_with_h5py(const std::filesystem::path& file, const std::string& expectations) {
    const auto result = sm4::test::run_command(std::string("/usr/bin/python3 ") + SM4_SOURCE_DIR +
                                               "/tests/tools/check_dataset_layout.py " + file.string() + " " +
                                               expectations);
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Contains("layout ok"));
}

}  // namespace

TEST_CASE("fashion-mnist: 70,000 images, 7,000 per class, official test split, pixels in [0, 1]", "[data][slow]") {
    TempDir dir;
    const auto result = preprocess_dataset("fashion-mnist", "", dir / "f.h5", config_with());
    const TaskDataset& d = result.dataset;
    CHECK(d.train.size() == 54000);
    CHECK(d.val.size() == 6000);
    CHECK(d.test.size() == 10000);
    CHECK(class_counts(d) == std::vector<std::int64_t>(10, 7000));
    CHECK(d.train.modalities[0].shape == std::vector<std::int64_t>{54000, 1, 28, 28});
    CHECK(value_range(d, 0) == std::pair<float, float>{0.0f, 1.0f});
    CHECK(!d.modalities[0].standardized);
    CHECK(d.modalities[0].mean[0] == Approx(0.286).margin(0.002));  // the well-known Fashion-MNIST mean
    CHECK(d.class_names[9] == "Ankle boot");
    check_with_h5py(dir / "f.h5", "--task fashion-mnist --examples 70000 --per-class " +
                                      std::string("7000,7000,7000,7000,7000,7000,7000,7000,7000,7000") +
                                      " --shape image=1x28x28");
}

TEST_CASE("breast-cancer: 569 rows of 30 features, 212 malignant and 357 benign, standardised on train", "[data]") {
    TempDir dir;
    const TaskDataset d = preprocess_dataset("breast-cancer", "", dir / "bc.h5", config_with()).dataset;
    CHECK(d.task_type == TaskType::Binary);
    CHECK(d.num_outputs == 2);
    CHECK(class_counts(d) == std::vector<std::int64_t>{212, 357});
    CHECK(d.train.modalities[0].shape[1] == 30);
    CHECK(d.test.size() == Approx(569 * 0.2).margin(2));
    const auto [mean, sd] = train_moments(d, 0, 30);
    CHECK(mean == Approx(0.0).margin(1e-4));
    CHECK(sd == Approx(1.0).margin(1e-3));
    CHECK(d.modalities[0].mean[0] == Approx(14.1).margin(0.3));  // mean radius, in the source's units
    check_with_h5py(dir / "bc.h5", "--task breast-cancer --examples 569 --per-class 212,357 --shape table=30");
}

TEST_CASE("wine: 178 rows of 13 features in 3 classes (59, 71, 48)", "[data]") {
    TempDir dir;
    const TaskDataset d = preprocess_dataset("wine", "", dir / "wine.h5", config_with()).dataset;
    CHECK(class_counts(d) == std::vector<std::int64_t>{59, 71, 48});
    CHECK(d.train.modalities[0].shape == std::vector<std::int64_t>{d.train.size(), 13});
    CHECK(d.modalities[0].standardized);
    check_with_h5py(dir / "wine.h5", "--task wine --examples 178 --per-class 59,71,48 --shape table=13");
}

TEST_CASE("splits: the same seed gives the same split, another seed another; classes stay stratified", "[data]") {
    TempDir dir;
    const TaskDataset a = preprocess_dataset("wine", "", dir / "a.h5", config_with()).dataset;
    const TaskDataset b = preprocess_dataset("wine", "", dir / "b.h5", config_with()).dataset;
    const TaskDataset c = preprocess_dataset("wine", "", dir / "c.h5", config_with({"data.seed=1"})).dataset;
    CHECK(a.test.modalities[0].values == b.test.modalities[0].values);
    CHECK(a.test.modalities[0].values != c.test.modalities[0].values);
    CHECK(c.seed == 1);
    // 20% of each class in test: round(59 * .2) + round(71 * .2) + round(48 * .2) = 12 + 14 + 10.
    CHECK(a.test.size() == 36);
}

TEST_CASE("digits-av: 1,797 digits paired with spoken digits; deterministic per seed; the audio carries the label",
          "[data][slow]") {
    TempDir dir;
    const Config config = config_with();
    const TaskDataset a = preprocess_dataset("digits-av", "", dir / "a.h5", config).dataset;
    CHECK(a.train.size() + a.val.size() + a.test.size() == 1797);
    CHECK(a.modalities[0].name == "image");
    CHECK(a.modalities[1].name == "audio");
    CHECK(a.modalities[1].kind == "audio");
    CHECK(a.train.modalities[0].shape == std::vector<std::int64_t>{a.train.size(), 1, 8, 8});
    CHECK(a.train.modalities[1].shape == std::vector<std::int64_t>{a.train.size(), 1, 32, 32});
    CHECK(value_range(a, 0) == std::pair<float, float>{0.0f, 1.0f});
    CHECK(class_counts(a) == std::vector<std::int64_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});

    const TaskDataset again = preprocess_dataset("digits-av", "", dir / "b.h5", config).dataset;
    CHECK(again.train.modalities[1].values == a.train.modalities[1].values);
    CHECK(again.test.modalities[1].values == a.test.modalities[1].values);
    const TaskDataset other = preprocess_dataset("digits-av", "", dir / "c.h5", config_with({"data.seed=1"})).dataset;
    CHECK(other.train.modalities[1].values != a.train.modalities[1].values);

    // Nearest class mean on the spectrograms alone must beat chance (10%) by far (it reaches ~0.41
    // with the default seed; a linear classifier reaches ~0.94).
    const auto dim = static_cast<std::size_t>(a.train.modalities[1].row_size());
    std::vector<std::vector<double>> centroid(10, std::vector<double>(dim));
    std::vector<int> members(10);
    for (std::size_t i = 0; i < a.train.class_labels.size(); ++i) {
        const auto label = static_cast<std::size_t>(a.train.class_labels[i]);
        ++members[label];
        for (std::size_t k = 0; k < dim; ++k) centroid[label][k] += a.train.modalities[1].values[i * dim + k];
    }
    int correct = 0;
    for (std::size_t i = 0; i < a.test.class_labels.size(); ++i) {
        double best = INFINITY;
        std::int64_t guess = -1;
        for (std::size_t c = 0; c < 10; ++c) {
            double distance = 0;
            for (std::size_t k = 0; k < dim; ++k) {
                const double diff = a.test.modalities[1].values[i * dim + k] - centroid[c][k] / members[c];
                distance += diff * diff;
            }
            if (distance < best) best = distance, guess = static_cast<std::int64_t>(c);
        }
        correct += guess == a.test.class_labels[i];
    }
    const double accuracy = static_cast<double>(correct) / static_cast<double>(a.test.class_labels.size());
    INFO("nearest-centroid accuracy on audio: " << accuracy);
    CHECK(accuracy > 0.3);
    check_with_h5py(dir / "a.h5", "--task digits-av --examples 1797 --shape image=1x8x8 --shape audio=1x32x32");
}
