// AV-MNIST as MultiBench distributes it (avmnist.tar.gz): MNIST digits paired with spectrograms
// of spoken digits, read the way MultiBench's datasets/avmnist/get_data.py reads them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/errors.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/multibench_arrays.h"
#include "formats/npy.h"

namespace sm4 {
namespace {

constexpr std::int64_t kClasses = 10;
constexpr const char* kLayout =
    "MultiBench's avmnist folder holds image/{train,test}_data.npy, audio/{train,test}_data.npy and "
    "{train,test}_labels.npy";

NumpyArray read_member(const std::filesystem::path& folder, const std::string& name) {
    const auto path = folder / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw DataError(fmt::format("{}: missing {} ({})", folder.string(), name, kLayout));
    return read_npy_file(path);
}

// [N, H, W], or [N, H*W] with H = W (MultiBench's flat 784-pixel images), as [N, 1, H, W].
FloatArray as_pictures(const NumpyArray& raw) {
    FloatArray out;
    if (raw.shape.size() == 3) {
        out.shape = {raw.shape[0], 1, raw.shape[1], raw.shape[2]};
    } else {
        require_rank(raw, 2, "[N, H, W] or [N, H*W] with a square H*W");
        const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(raw.shape[1]))));
        if (side * side != raw.shape[1])
            throw DataError(fmt::format("{}: shape {}, expected [N, H, W] or [N, H*W] with a square H*W",
                                        raw.source, shape_text(raw.shape)));
        out.shape = {raw.shape[0], 1, side, side};
    }
    out.values = raw.to_float32();
    for (std::size_t i = 0; i < out.values.size(); ++i)
        if (!std::isfinite(out.values[i]) || out.values[i] < 0.0f)
            throw DataError(fmt::format("{}: value {} at flat index {} is not a finite non-negative intensity",
                                        raw.source, out.values[i], i));
    return out;
}

struct Pictures {
    FloatArray train, test;  // [N, 1, H, W]
    bool scaled = false;     // divided by 255
};

// MultiBench divides both modalities by 255. sm4 does so when the values are stored as
// integers or exceed 1 anywhere, so a copy already scaled to [0, 1] is kept as it is.
Pictures read_pictures(const std::filesystem::path& folder, const std::string& modality) {
    const NumpyArray train = read_member(folder, modality + "/train_data.npy");
    const NumpyArray test = read_member(folder, modality + "/test_data.npy");
    Pictures p{as_pictures(train), as_pictures(test)};
    if (!std::equal(p.train.shape.begin() + 1, p.train.shape.end(), p.test.shape.begin() + 1, p.test.shape.end()))
        throw DataError(fmt::format("{}: shape {} disagrees with {} of {}", test.source, shape_text(test.shape),
                                    shape_text(train.shape), train.source));
    float max = 0.0f;
    for (const auto* a : {&p.train, &p.test})
        if (!a->values.empty()) max = std::max(max, *std::max_element(a->values.begin(), a->values.end()));
    p.scaled = !train.is_floating() || !test.is_floating() || max > 1.0f;
    if (p.scaled)
        for (auto* a : {&p.train, &p.test})
            for (float& v : a->values) v /= 255.0f;
    return p;
}

std::vector<std::int64_t> read_labels(const std::filesystem::path& folder, const std::string& name,
                                      std::int64_t rows, const std::string& reference) {
    const NumpyArray raw = read_member(folder, name);
    require_rows(raw, rows, reference);
    const std::vector<double> values = one_value_per_row(raw);
    std::vector<std::int64_t> labels(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) labels[i] = class_index(values[i], kClasses, raw.source, i);
    return labels;
}

// The last `rows` rows of `array`, cut off it (no copy of the rows that stay).
FloatArray cut_tail(FloatArray& array, std::int64_t rows) {
    const auto keep = static_cast<std::size_t>((array.rows() - rows) * array.row_size());
    FloatArray tail;
    tail.shape = array.shape;
    tail.shape[0] = rows;
    tail.values.assign(array.values.begin() + static_cast<std::ptrdiff_t>(keep), array.values.end());
    array.values.resize(keep);
    array.values.shrink_to_fit();
    array.shape[0] -= rows;
    return tail;
}

}  // namespace

std::int64_t avmnist_validation_count(std::int64_t train_examples) {
    return train_examples >= 10000 ? 5000 : (train_examples + 11) / 12;
}

TaskDataset convert_avmnist(const std::filesystem::path& source, const Config&) {
    std::error_code ec;
    if (!std::filesystem::is_directory(source, ec))
        throw DataError(fmt::format("{}: not a folder ({})", source.string(), kLayout));
    Pictures image = read_pictures(source, "image");
    Pictures audio = read_pictures(source, "audio");
    const std::string image_train = (source / "image/train_data.npy").string();
    const std::string image_test = (source / "image/test_data.npy").string();
    for (const auto& [split, images, spectrograms] :
         {std::tuple{"train", &image.train, &audio.train}, std::tuple{"test", &image.test, &audio.test}})
        if (spectrograms->rows() != images->rows())
            throw DataError(fmt::format("{}: {} spectrograms, but {} holds {} images",
                                        (source / "audio" / (std::string(split) + "_data.npy")).string(),
                                        spectrograms->rows(), (source / "image" / (std::string(split) + "_data.npy")).string(),
                                        images->rows()));
    std::vector<std::int64_t> train_labels = read_labels(source, "train_labels.npy", image.train.rows(), image_train);
    std::vector<std::int64_t> test_labels = read_labels(source, "test_labels.npy", image.test.rows(), image_test);
    if (image.train.rows() < 2)
        throw DataError(fmt::format("{}: {} training examples, too few to hold out a validation split", image_train,
                                    image.train.rows()));

    TaskDataset d;
    d.task = "avmnist";
    d.task_type = TaskType::Classification;
    d.num_outputs = kClasses;
    const std::int64_t n_val = avmnist_validation_count(image.train.rows());
    d.source = fmt::format(
        "AV-MNIST (MultiBench's avmnist.tar.gz), {}; image {}, audio {}; validation: the last {} of {} training "
        "examples",
        source.string(), image.scaled ? "scaled by 1/255" : "as stored", audio.scaled ? "scaled by 1/255" : "as stored",
        n_val, image.train.rows());
    d.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    d.modalities = {{"image", "image", false, {}, {}}, {"audio", "audio", false, {}, {}}};

    // MultiBench: trainlist[0:55000] trains, trainlist[55000:60000] validates.
    d.val.modalities = {cut_tail(image.train, n_val), cut_tail(audio.train, n_val)};
    d.val.class_labels.assign(train_labels.end() - n_val, train_labels.end());
    train_labels.resize(train_labels.size() - static_cast<std::size_t>(n_val));
    d.train.modalities = {std::move(image.train), std::move(audio.train)};
    d.train.class_labels = std::move(train_labels);
    d.test.modalities = {std::move(image.test), std::move(audio.test)};
    d.test.class_labels = std::move(test_labels);
    compute_statistics(d, 0, /*apply=*/false);
    compute_statistics(d, 1, /*apply=*/true);
    return d;
}

}  // namespace sm4
