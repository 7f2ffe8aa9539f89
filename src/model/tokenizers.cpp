#include "model/tokenizers.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"

namespace sm4 {

at::Tensor fourier_position_features(const std::vector<std::int64_t>& sizes, std::int64_t bands) {
    std::vector<at::Tensor> axes;
    for (auto size : sizes) axes.push_back(size > 1 ? at::linspace(-1.0, 1.0, size) : at::zeros({1}));
    const std::vector<at::Tensor> grid = at::meshgrid(axes, "ij");
    std::vector<at::Tensor> features;
    for (std::size_t a = 0; a < sizes.size(); ++a) {
        const at::Tensor coordinate = grid[a].reshape({-1, 1});  // [positions, 1]
        const double top = std::max(static_cast<double>(sizes[a]) / 2.0, 1.0);
        const at::Tensor frequencies = at::linspace(1.0, top, bands).reshape({1, -1});
        const at::Tensor phase = M_PI * coordinate * frequencies;
        features.insert(features.end(), {coordinate, at::sin(phase), at::cos(phase)});
    }
    return at::cat(features, 1);
}

ModalityTokenizerImpl::ModalityTokenizerImpl(const ModalitySpec& spec, const TokenizerSettings& s) {
    std::vector<std::int64_t> grid;  // token grid, for position features
    if (spec.shape.size() == 3) {
        const std::int64_t side = std::max(spec.shape[1], spec.shape[2]);
        const std::int64_t wanted = s.patch_size > 0 ? s.patch_size : (side + s.image_grid - 1) / s.image_grid;
        const std::int64_t p = std::min({wanted, spec.shape[1], spec.shape[2]});
        patches = register_module("patches", torch::nn::Conv2d(torch::nn::Conv2dOptions(spec.shape[0], s.d_model, p).stride(p)));
        grid = {spec.shape[1] / p, spec.shape[2] / p};
    } else if (spec.shape.size() == 2) {
        steps = register_module("steps", torch::nn::Linear(spec.shape[1], s.d_model));
        grid = {spec.shape[0]};
    } else if (spec.shape.size() == 1) {
        // One token per feature: value * w_f + b_f (as in FT-Transformer).
        feature_weight = register_parameter("feature_weight", at::randn({spec.shape[0], s.d_model}) * 0.1);
        feature_bias = register_parameter("feature_bias", at::randn({spec.shape[0], s.d_model}) * 0.1);
        grid = {spec.shape[0]};
    } else {
        throw DataError(fmt::format("modality '{}' has {} axes per example; sm4 tokenises 1 to 3", spec.name,
                                    spec.shape.size()));
    }
    tokens_ = 1;
    for (auto g : grid) tokens_ *= g;
    if (s.fourier) {
        fourier_features = register_buffer("fourier_features", fourier_position_features(grid, s.fourier_bands));
        fourier_projection = register_module("fourier_projection", torch::nn::Linear(fourier_features.size(1), s.d_model));
    } else {
        position = register_parameter("position", at::randn({tokens_, s.d_model}) * 0.02);
    }
    modality_embedding = register_parameter("modality_embedding", at::randn({s.d_model}) * 0.02);
}

at::Tensor ModalityTokenizerImpl::forward(const at::Tensor& x) {
    at::Tensor tokens;
    if (patches) tokens = patches(x).flatten(2).transpose(1, 2);                     // [B, h*w, d]
    else if (steps) tokens = steps(x);                                              // [B, T, d]
    else tokens = x.unsqueeze(-1) * feature_weight + feature_bias;                  // [B, D, d]
    const at::Tensor where = fourier_projection ? fourier_projection(fourier_features) : position;
    return tokens + where + modality_embedding;
}

}  // namespace sm4
