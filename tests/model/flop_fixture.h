// Small configs and task shapes shared by the FLOP accounting tests.
#pragma once

#include <catch.hpp>

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "io/results_db.h"
#include "model/task_spec.h"

namespace sm4::test {

// Task "a" (3 classes): an 8x8 one-channel image (4 patches of 4x4 with tiny_model's rule) and
// 4 steps of 5 features.
inline TaskSpec image_and_sequence_task() {
    return {"a", TaskType::Classification, 3, {{"img", "image", {1, 8, 8}}, {"seq", "sequence", {4, 5}}}};
}

// The paper's network at toy size: tokens with 1 Fourier band (img in 4x4 patches: 4 tokens of
// 16 + 2 x 3 position channels; seq 4 tokens of 5 + 3), a one-hot of 2, so 24 wide; 2 latents
// of 8; a cross-attention of 1 x 4, self-attention 2 x 4, GEGLUs of 16; then `layers` layers of
// width 8, 2 heads, feed-forward hidden 16, 4 experts per group, one expert per token, no
// capacity limit.
inline ModelConfig tiny_model(const std::string& backbone, std::int64_t layers) {
    ModelConfig c;
    c.backbone = parse_choice<Backbone>("backbone", backbone);
    c.d_model = 8;
    c.heads = 2;
    c.ffn_hidden = 16;
    c.layers = layers;
    c.num_experts = 4;
    c.modality_top_k = {1};
    c.capacity_factor = 0;
    c.latents = 2;
    c.latent_dim = 8;
    c.cross_heads = 1;
    c.cross_head_dim = 4;
    c.latent_heads = 2;
    c.latent_head_dim = 4;
    c.ff_mult = 2;
    c.fourier_bands = 1;
    c.token_rules = {"a/img: patches=4"};
    return c;
}

// A batch of random inputs for every modality of `task`, [batch, ...shape] each.
inline std::vector<at::Tensor> random_batch(const TaskSpec& task, std::int64_t batch) {
    std::vector<at::Tensor> inputs;
    for (const auto& m : task.modalities) {
        std::vector<std::int64_t> shape = {batch};
        shape.insert(shape.end(), m.shape.begin(), m.shape.end());
        inputs.push_back(at::randn(shape));
    }
    return inputs;
}

inline const FlopsRecord& find_flops_row(const std::vector<FlopsRecord>& rows, const std::string& task,
                                         const std::string& modality, const std::string& component) {
    for (const auto& r : rows)
        if (r.task == task && r.modality == modality && r.component == component) return r;
    FAIL("no row " << task << "/" << modality << "/" << component);
    throw;
}

}  // namespace sm4::test
