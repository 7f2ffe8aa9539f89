#include <fmt/format.h>

#include "core/errors.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/file_bytes.h"
#include "data/idx.h"

namespace sm4 {
namespace {

constexpr std::int64_t kSide = 28;
constexpr std::int64_t kClasses = 10;

struct ImagesAndLabels {
    FloatArray images;                 // [N, 1, 28, 28]
    std::vector<std::int64_t> labels;  // [N]
};

ImagesAndLabels read_pair(const std::filesystem::path& folder, const std::string& prefix) {
    const auto image_path = find_first_existing(folder, {prefix + "-images-idx3-ubyte.gz", prefix + "-images-idx3-ubyte"});
    const auto label_path = find_first_existing(folder, {prefix + "-labels-idx1-ubyte.gz", prefix + "-labels-idx1-ubyte"});
    const IdxArray images = read_idx_ubyte(image_path, 3);
    const IdxArray labels = read_idx_ubyte(label_path, 1);
    if (images.dims[1] != kSide || images.dims[2] != kSide)
        throw DataError(fmt::format("{}: images are {}x{}, expected {}x{}", image_path.string(), images.dims[1],
                                    images.dims[2], kSide, kSide));
    if (labels.dims[0] != images.dims[0])
        throw DataError(fmt::format("{}: {} labels for the {} images of {}", label_path.string(), labels.dims[0],
                                    images.dims[0], image_path.string()));
    ImagesAndLabels out;
    out.images.shape = {images.dims[0], 1, kSide, kSide};
    out.images.values.reserve(images.values.size());
    for (std::uint8_t v : images.values) out.images.values.push_back(static_cast<float>(v) / 255.0f);
    for (std::size_t i = 0; i < labels.values.size(); ++i) {
        if (labels.values[i] >= kClasses)
            throw DataError(fmt::format("{}: label {} of example {} is outside [0, {})", label_path.string(),
                                        labels.values[i], i, kClasses));
        out.labels.push_back(labels.values[i]);
    }
    return out;
}

}  // namespace

TaskDataset convert_fashion_mnist(const std::filesystem::path& source, const Config& config) {
    ImagesAndLabels train = read_pair(source, "train");
    ImagesAndLabels test = read_pair(source, "t10k");

    TaskDataset d;
    d.task = "fashion-mnist";
    d.task_type = TaskType::Classification;
    d.num_outputs = kClasses;
    d.source = "Fashion-MNIST IDX files (Zalando Research), " + source.string();
    d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    d.modalities = {{"image", "image", false, {}, {}}};

    // The official test set stays the test split; validation is carved from train.
    SplitIndices split = stratified_split(train.labels, config.data.val_fraction, 0.0,
                                          static_cast<std::uint64_t>(config.data.seed));
    assign_splits(d, {train.images}, train.labels, split);
    d.test.modalities = {std::move(test.images)};
    d.test.class_labels = std::move(test.labels);
    compute_statistics(d, 0, /*apply=*/false);
    return d;
}

}  // namespace sm4
