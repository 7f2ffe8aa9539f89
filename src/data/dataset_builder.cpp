#include "data/dataset_builder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sm4 {
namespace {

// Layout of a modality array as [outer, channels, inner] around its statistics axis.
struct AxisLayout {
    std::int64_t outer, channels, inner;
};

AxisLayout layout_of(const std::vector<std::int64_t>& shape) {
    std::int64_t rest = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) rest *= shape[i];
    if (shape.size() == 4) {  // [N, C, H, W]: statistics per channel
        return {shape[0], shape[1], shape[2] * shape[3]};
    }
    const std::int64_t features = shape.back();  // [N, D] or [N, T, D]: per feature
    return {shape[0] * rest / features, features, 1};
}

}  // namespace

FloatArray gather_rows(const FloatArray& array, const std::vector<std::int64_t>& indices) {
    FloatArray out;
    out.shape = array.shape;
    out.shape[0] = static_cast<std::int64_t>(indices.size());
    const auto row = static_cast<std::size_t>(array.row_size());
    out.values.resize(indices.size() * row);
    for (std::size_t k = 0; k < indices.size(); ++k)
        std::memcpy(out.values.data() + k * row, array.values.data() + static_cast<std::size_t>(indices[k]) * row,
                    row * sizeof(float));
    return out;
}

void assign_splits(TaskDataset& dataset, const std::vector<FloatArray>& modalities,
                   const std::vector<std::int64_t>& labels, const SplitIndices& split) {
    const std::pair<SplitArrays*, const std::vector<std::int64_t>*> parts[] = {
        {&dataset.train, &split.train}, {&dataset.val, &split.val}, {&dataset.test, &split.test}};
    for (const auto& [target, indices] : parts) {
        target->modalities.clear();
        for (const auto& m : modalities) target->modalities.push_back(gather_rows(m, *indices));
        target->class_labels.clear();
        for (auto i : *indices) target->class_labels.push_back(labels[static_cast<std::size_t>(i)]);
    }
}

void compute_statistics(TaskDataset& dataset, std::size_t index, bool apply) {
    ModalityInfo& info = dataset.modalities[index];
    const FloatArray& train = dataset.train.modalities[index];
    const AxisLayout axis = layout_of(train.shape);
    std::vector<double> sum(static_cast<std::size_t>(axis.channels)), squares(sum.size());
    for (std::int64_t o = 0; o < axis.outer; ++o)
        for (std::int64_t c = 0; c < axis.channels; ++c) {
            const float* p = train.values.data() + (o * axis.channels + c) * axis.inner;
            for (std::int64_t i = 0; i < axis.inner; ++i) {
                sum[c] += p[i];
                squares[c] += static_cast<double>(p[i]) * p[i];
            }
        }
    const double count = static_cast<double>(axis.outer * axis.inner);
    info.mean.assign(sum.size(), 0.0f);
    info.std.assign(sum.size(), 1.0f);
    for (std::size_t c = 0; c < sum.size(); ++c) {
        const double mean = sum[c] / count;
        info.mean[c] = static_cast<float>(mean);
        info.std[c] = static_cast<float>(std::sqrt(std::max(squares[c] / count - mean * mean, 0.0)));
    }
    if (!apply) return;
    info.standardized = true;
    for (SplitArrays* split : {&dataset.train, &dataset.val, &dataset.test}) {
        FloatArray& array = split->modalities[index];
        const AxisLayout l = layout_of(array.shape);
        for (std::int64_t o = 0; o < l.outer; ++o)
            for (std::int64_t c = 0; c < l.channels; ++c) {
                float* p = array.values.data() + (o * l.channels + c) * l.inner;
                const float mean = info.mean[c], inv = 1.0f / std::max(info.std[c], 1e-6f);
                for (std::int64_t i = 0; i < l.inner; ++i) p[i] = (p[i] - mean) * inv;
            }
    }
}

}  // namespace sm4
